namespace Fayvad.Mail.Push;

/// <summary>
/// Which mailboxes this node keeps in sync (event log and folder states current), and for whom. Two ways to do it,
/// chosen by <see cref="PushOptions.Mode"/>: <see cref="HintWatchRegistry"/> (Dovecot's push hints, passes on pooled
/// connections) or <see cref="WatcherRegistry"/> (an IMAP NOTIFY/IDLE connection per mailbox).
/// </summary>
internal interface IMailboxWatches
{
    /// <summary>This node's name in the watch leases (mail.mailbox_streams.watcher_node).</summary>
    string NodeId { get; }

    /// <summary>Mailboxes whose watch lease this node holds now.</summary>
    int Watching { get; }

    bool IsWatching(string mailbox);

    /// <summary>Whether this node watches the mailbox and a sync pass has completed since: the stored states are current.</summary>
    bool IsSynced(string mailbox);

    /// <summary>Keeps the mailbox watched (here or on another node) for <paramref name="duration"/> from now; each call extends it.</summary>
    void KeepWatched(string mailbox, long? organizationId, TimeSpan duration);

    /// <summary>Keeps the mailbox watched (here or on another node) until the handle is disposed.</summary>
    IDisposable Acquire(string mailbox, long? organizationId);
}

/// <summary>How this node learns that a mailbox changed.</summary>
internal enum PushMode
{
    /// <summary>One IMAP connection per watched mailbox, NOTIFY + IDLE (docs/adr/0008): any IMAP server with NOTIFY.</summary>
    Notify,

    /// <summary>Dovecot's push_notification Lua driver sends UDP hints; passes run on pooled connections (docs/adr/0021).</summary>
    Hints,
}

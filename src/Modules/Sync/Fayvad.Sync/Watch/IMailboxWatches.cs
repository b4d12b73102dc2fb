namespace Fayvad.Sync.Watch;

/// <summary>
/// Which mailboxes this node keeps in sync (event log and folder states current), and for whom: leases, with passes
/// run on Dovecot's push hints and by a sweep (<see cref="HintWatchRegistry"/>, docs/adr/0021 and 0038).
/// </summary>
internal interface IMailboxWatches
{
    /// <summary>This node's name in the watch leases (sync.mailbox_streams.watcher_node).</summary>
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

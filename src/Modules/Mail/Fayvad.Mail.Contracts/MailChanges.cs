namespace Fayvad.Mail.Contracts;

/// <summary>The event types of a mailbox's stream and webhooks: what the Mail module says changed.</summary>
public static class MailEventTypes
{
    public const string MessageNew = "message.new";
    public const string MessageUpdated = "message.updated";
    public const string MessageDeleted = "message.deleted";
    public const string FolderCounts = "folder.counts";
    public const string FolderCreated = "folder.created";
    public const string FolderRenamed = "folder.renamed";
    public const string FolderDeleted = "folder.deleted";

    /// <summary>The log cannot say what changed (too old an id, a long unwatched gap): the client reloads.</summary>
    public const string Reset = "reset";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        MessageNew, MessageUpdated, MessageDeleted, FolderCounts, FolderCreated, FolderRenamed, FolderDeleted, Reset,
    };
}

public sealed record MessageNewData(string Folder, string Id, MessageDto Message);

public sealed record MessageUpdatedData(string Folder, string Id, bool IsRead, bool IsStarred, IReadOnlyList<string> Flags);

public sealed record MessageDeletedData(string Folder, string Id);

public sealed record FolderCountsData(string Folder, int UnreadCount, int TotalCount);

public sealed record FolderChangeData(string Folder, string? OldFolder = null);

public sealed record ResetData(string Reason);

/// <summary>One change found in a mailbox; <see cref="Data"/> is one of the records above, written as the event's JSON.</summary>
public sealed record MailChange(string Type, string? Folder, object Data);

/// <summary>What a sync pass last saw of a folder (CONDSTORE): the next pass reports only what moved since.</summary>
public sealed record FolderMark(string Folder, long UidValidity, long UidNext, long HighestModSeq, int Messages, int Unseen)
{
    public SyncState SyncState => new((uint)UidValidity, (ulong)HighestModSeq, (uint)UidNext);
}

/// <summary>
/// The result of comparing a mailbox with the marks of the last pass: the changes, the marks to keep now, the folders
/// that are gone, and whether a folder has more new mail than one pass reports (ask again).
/// </summary>
public sealed record MailboxDelta(IReadOnlyList<MailChange> Changes, IReadOnlyList<FolderMark> Marks, IReadOnlyList<string> Removed, bool MoreToCome);

/// <summary>
/// What the Sync module may ask of the mail server about a mailbox: the Mail module owns the IMAP and doveadm plumbing,
/// Sync owns the log, the leases and the streams (docs/adr/0039).
/// </summary>
public interface IMailboxChanges
{
    /// <summary>
    /// Compares every folder now with <paramref name="marks"/>, on a pooled connection. With <paramref name="baseline"/>
    /// it reports no changes, only where every folder stands (a first watch, or a gap longer than the log is kept).
    /// Throws when the mail server cannot be asked; nothing is then reported.
    /// </summary>
    Task<MailboxDelta> CompareAsync(string mailbox, IReadOnlyDictionary<string, FolderMark> marks, bool baseline, CancellationToken cancellationToken);

    /// <summary>Whether <see cref="MarksAsync"/> can answer for many mailboxes at once (Dovecot's doveadm HTTP API is configured).</summary>
    bool CanReadManyMarks { get; }

    /// <summary>
    /// Where every folder of each mailbox stands, in one request to the mail server; null for a mailbox it could not
    /// say. Cheaper than <see cref="CompareAsync"/>: no message is fetched.
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<FolderMark>?>> MarksAsync(IReadOnlyList<string> mailboxes, CancellationToken cancellationToken);

    /// <summary>
    /// The folder path a client's name stands for: a path among <paramref name="existing"/>, or a special folder's
    /// common name ("Spam", "Sent") by its SPECIAL-USE role; null when there is none.
    /// </summary>
    Task<string?> ResolveFolderAsync(string mailbox, string name, IReadOnlyCollection<string> existing, CancellationToken cancellationToken);
}

/// <summary>Told when a mailbox's mail was removed (the Directory's purge), so a module drops its own records of it.</summary>
public interface IMailboxRemovedHandler
{
    Task MailboxRemovedAsync(string address, CancellationToken cancellationToken);
}

using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Push;

/// <summary>The event types of a mailbox's stream; webhooks subscribe to the same names.</summary>
internal static class MailEventTypes
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

internal sealed record MessageNewData(string Folder, string Id, MessageDto Message);

internal sealed record MessageUpdatedData(string Folder, string Id, bool IsRead, bool IsStarred, IReadOnlyList<string> Flags);

internal sealed record MessageDeletedData(string Folder, string Id);

internal sealed record FolderCountsData(string Folder, int UnreadCount, int TotalCount);

internal sealed record FolderChangeData(string Folder, string? OldFolder = null);

internal sealed record ResetData(string Reason);

/// <summary>An event about to be written; its sequence number is given at commit.</summary>
internal sealed record PendingEvent(string Type, string? Folder, object Data);

/// <summary>An event as stored: <see cref="Data"/> is its JSON, sent as is.</summary>
internal sealed record StoredEvent(long Seq, string Type, string Data, DateTimeOffset CreatedAt);

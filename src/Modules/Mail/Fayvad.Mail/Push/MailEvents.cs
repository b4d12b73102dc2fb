using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;

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

    /// <summary>The stream's events as the OpenAPI document describes them: name, the type of <c>data</c>, meaning.</summary>
    public static readonly IReadOnlyList<EventDoc> Described =
    [
        new(MessageNew, typeof(MessageNewData), "A message arrived in a folder."),
        new(MessageUpdated, typeof(MessageUpdatedData), "A message's flags changed."),
        new(MessageDeleted, typeof(MessageDeletedData), "A message left a folder (deleted or moved)."),
        new(FolderCounts, typeof(FolderCountsData), "A folder's unread and total counts changed."),
        new(FolderCreated, typeof(FolderChangeData), "A folder was created."),
        new(FolderRenamed, typeof(FolderChangeData), "A folder was renamed (old_folder is its old path)."),
        new(FolderDeleted, typeof(FolderChangeData), "A folder was deleted."),
        new(Reset, typeof(ResetData), "The log cannot say what changed since Last-Event-ID: reload."),
        new("end", typeof(ErrorReason), "The token was revoked or the account disabled; the stream ends (data has reason)."),
        new("error", typeof(ErrorBody), "The event store is unavailable; reconnect shortly."),
    ];

    /// <summary>The data of the stream's closing "end" event.</summary>
    internal sealed record ErrorReason(string Reason);
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

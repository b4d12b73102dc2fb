using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;

namespace Fayvad.Sync.Log;

/// <summary>The stream's events as the OpenAPI document describes them: name, the type of <c>data</c>, meaning.</summary>
internal static class MailEventDocs
{
    public static readonly IReadOnlyList<EventDoc> Described =
    [
        new(MailEventTypes.MessageNew, typeof(MessageNewData), "A message arrived in a folder."),
        new(MailEventTypes.MessageUpdated, typeof(MessageUpdatedData), "A message's flags changed."),
        new(MailEventTypes.MessageDeleted, typeof(MessageDeletedData), "A message left a folder (deleted or moved)."),
        new(MailEventTypes.FolderCounts, typeof(FolderCountsData), "A folder's unread and total counts changed."),
        new(MailEventTypes.FolderCreated, typeof(FolderChangeData), "A folder was created."),
        new(MailEventTypes.FolderRenamed, typeof(FolderChangeData), "A folder was renamed (old_folder is its old path)."),
        new(MailEventTypes.FolderDeleted, typeof(FolderChangeData), "A folder was deleted."),
        new(MailEventTypes.Reset, typeof(ResetData), "The log cannot say what changed since Last-Event-ID: reload."),
        new("end", typeof(ErrorReason), "The token was revoked or the account disabled; the stream ends (data has reason)."),
        new("error", typeof(ErrorBody), "The event store is unavailable; reconnect shortly."),
    ];

    /// <summary>The data of the stream's closing "end" event.</summary>
    internal sealed record ErrorReason(string Reason);
}

/// <summary>An event as stored: <see cref="Data"/> is its JSON, sent as is.</summary>
internal sealed record StoredEvent(long Seq, string Type, string Data, DateTimeOffset CreatedAt);

namespace Fayvad.Mail.Mime;

/// <summary>A message as the client's list shows it: exactly the seed's fields. Bodies are null when not asked for.</summary>
internal sealed record MessageDto(
    string Id,
    string Subject,
    string Sender,
    string SenderName,
    string FromDisplay,
    IReadOnlyList<string> ToRecipients,
    IReadOnlyList<string> CcRecipients,
    IReadOnlyList<string> BccRecipients,
    DateTimeOffset DateReceived,
    DateTimeOffset DateSent,
    bool IsRead,
    bool IsStarred,
    bool HasAttachments,
    long SizeBytes,
    string? BodyText,
    string? BodyHtml,
    string Snippet,
    string Folder,
    string MessageId,
    uint Uid);

internal sealed record AttachmentDto(string Id, string Filename, string ContentType, long SizeBytes, bool Inline, string? ContentId);

/// <summary>One message with what a reader and a reply need.</summary>
internal sealed record MessageDetailDto(
    string Id,
    string Subject,
    string Sender,
    string SenderName,
    string FromDisplay,
    IReadOnlyList<string> ToRecipients,
    IReadOnlyList<string> CcRecipients,
    IReadOnlyList<string> BccRecipients,
    DateTimeOffset DateReceived,
    DateTimeOffset DateSent,
    bool IsRead,
    bool IsStarred,
    bool HasAttachments,
    long SizeBytes,
    string? BodyText,
    string? BodyHtml,
    string Snippet,
    string Folder,
    string MessageId,
    uint Uid,
    string? InReplyTo,
    IReadOnlyList<string> References,
    IReadOnlyList<string> ReplyTo,
    bool HasRemoteContent,
    IReadOnlyList<AttachmentDto> Attachments);

/// <summary>A message's flags now: the read and starred booleans of the list shape, and every flag and keyword.</summary>
internal sealed record MessageFlagsDto(string Id, bool IsRead, bool IsStarred, IReadOnlyList<string> Flags);

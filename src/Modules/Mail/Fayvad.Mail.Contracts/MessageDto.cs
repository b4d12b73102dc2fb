namespace Fayvad.Mail.Contracts;

/// <summary>
/// A message as the client's list shows it: the seed's fields and <see cref="BodyTruncated"/>. Strings are never null (the client lowercases
/// them); <see cref="BodyText"/> is "" and <see cref="BodyHtml"/> null when bodies were not asked for.
/// <see cref="MessageId"/> is the id the client keeps: the RFC Message-ID in angle brackets when it has no "/", else <see cref="Id"/>.
/// </summary>
public record MessageDto(
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
    string BodyText,
    string? BodyHtml,
    string Snippet,
    string Folder,
    string MessageId,
    uint Uid)
{
    /// <summary>
    /// True when MimeKit could not parse the stored message: what is shown comes from the server's ENVELOPE and
    /// BODYSTRUCTURE. Written only when true, so ordinary mail keeps exactly the seed's fields.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool ParseError { get; init; }

    /// <summary>
    /// True when a header value was too long to show whole (a Subject, a display name or a message id over the Mail
    /// module's limits, docs/adr/0033): it is cut, and the source (<c>raw/</c>) has it whole. Written only when true.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool HeadersTruncated { get; init; }

    /// <summary>
    /// True when <see cref="BodyText"/> or <see cref="BodyHtml"/> is only the start of its part: a part over the body
    /// limit as stored (docs/adr/0033). The whole text is at <c>GET email/messages/{id}/body/</c>,
    /// the whole message at <c>/raw/</c>. Always written (false when bodies were not asked for).
    /// </summary>
    public bool BodyTruncated { get; init; }
}

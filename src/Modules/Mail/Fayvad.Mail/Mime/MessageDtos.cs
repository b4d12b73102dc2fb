namespace Fayvad.Mail.Mime;

/// <summary>
/// A message as the client's list shows it: the seed's fields and <see cref="BodyTruncated"/>. Strings are never null (the client lowercases
/// them); <see cref="BodyText"/> is "" and <see cref="BodyHtml"/> null when bodies were not asked for.
/// <see cref="MessageId"/> is the id the client keeps (<see cref="Imap.MessageIds.ForClient"/>).
/// </summary>
internal record MessageDto(
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
    /// True when a header value was too long to show whole (a Subject over <see cref="MessageMapper.SubjectLimit"/>
    /// characters, a name over <see cref="MessageMapper.NameLimit"/>, a message id over <see cref="Imap.MessageIds.RfcIdLimit"/>): it is cut, and the source
    /// (<c>raw/</c>) has it whole. Written only when true.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool HeadersTruncated { get; init; }

    /// <summary>
    /// True when <see cref="BodyText"/> or <see cref="BodyHtml"/> is only the start of its part: a part over
    /// <see cref="Imap.BodyLoader.MaxBodyBytes"/> as stored. The whole text is at <c>GET email/messages/{id}/body/</c>,
    /// the whole message at <c>/raw/</c>. Always written (false when bodies were not asked for).
    /// </summary>
    public bool BodyTruncated { get; init; }
}

/// <param name="SizeBytes">The part's size as stored (encoded), in bytes.</param>
internal sealed record AttachmentDto(string Id, string Filename, string ContentType, long SizeBytes, bool Inline, string? ContentId)
{
    /// <summary>The same size under the name the client's later server used.</summary>
    public long Size => SizeBytes;
}

/// <summary>A sender as the client's first server sent it: <c>{"email", "name"}</c>.</summary>
internal sealed record AddressDto(string Email, string Name);

/// <summary>One message: the list shape plus what a reader and a reply need, and the names both of the client's servers used.</summary>
internal sealed record MessageDetailDto : MessageDto
{
    public MessageDetailDto(
        MessageDto message, string? inReplyTo, IReadOnlyList<string> references, IReadOnlyList<string> replyTo, bool hasRemoteContent,
        IReadOnlyList<AttachmentDto> attachments, AuthenticationResultsDto? authenticationResults = null, SpamVerdict? spam = null)
        : base(message)
    {
        AuthenticationResults = authenticationResults;
        SpamScore = spam?.Score;
        SpamVerdict = spam?.Verdict;
        InReplyTo = inReplyTo;
        References = references;
        ReplyTo = replyTo;
        HasRemoteContent = hasRemoteContent;
        Attachments = attachments;
    }

    public string? InReplyTo { get; init; }
    public IReadOnlyList<string> References { get; init; }
    public IReadOnlyList<string> ReplyTo { get; init; }
    public bool HasRemoteContent { get; init; }
    public IReadOnlyList<AttachmentDto> Attachments { get; init; }

    /// <summary>The receiving server's SPF, DKIM and DMARC verdicts; null when it wrote none (docs/adr/0019).</summary>
    public AuthenticationResultsDto? AuthenticationResults { get; init; }

    /// <summary>rspamd's score as our mail server stamped it on arrival; null when it was not scanned (docs/adr/0035).</summary>
    public double? SpamScore { get; init; }

    /// <summary><c>spam</c> (filed into Junk on arrival) or <c>ham</c>, by the domain's spam_threshold; null when not scanned.</summary>
    public string? SpamVerdict { get; init; }

    // The same facts under the names of the client's first server (dc33da3).
    public AddressDto From => new(Sender, SenderName);
    public IReadOnlyList<string> To => ToRecipients;
    public IReadOnlyList<string> Cc => CcRecipients;
    public IReadOnlyList<string> Bcc => BccRecipients;
    public DateTimeOffset Date => DateReceived;
}

/// <summary>A message's flags now: the read and starred booleans of the list shape, and every flag and keyword.</summary>
internal sealed record MessageFlagsDto(string Id, bool IsRead, bool IsStarred, IReadOnlyList<string> Flags);

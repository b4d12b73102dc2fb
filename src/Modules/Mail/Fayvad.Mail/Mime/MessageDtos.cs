using Fayvad.Mail.Contracts;
namespace Fayvad.Mail.Mime;

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

using Fayvad.Mail.Contracts;
using MailKit;
using MimeKit;
using Fayvad.Mail.Imap;

namespace Fayvad.Mail.Mime;

/// <summary>Maps what IMAP FETCH returned (ENVELOPE, FLAGS, INTERNALDATE, RFC822.SIZE, BODYSTRUCTURE, PREVIEW) to the API shape.</summary>
internal static class MessageMapper
{
    public const int SnippetLength = 200;

    /// <summary>Longest Subject shown, in characters; a longer one is cut (a hostile 200 KB Subject would fill every page).</summary>
    public const int SubjectLimit = 2000;

    /// <summary>Longest display name shown, in characters.</summary>
    public const int NameLimit = 500;

    public const MessageSummaryItems SummaryItems =
        MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Flags
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.BodyStructure
        | MessageSummaryItems.PreviewText;

    /// <summary>
    /// The summary FETCH of a page: the items above plus the raw Subject, From, Sender and Date fields, which are decoded
    /// here from their bytes (8-bit bytes, UTF-7, named zones) rather than from the ENVELOPE's strings, and Content-Type,
    /// which tells a structure the server got wrong (<see cref="SourceStructure.Needed"/>). Still one FETCH.
    /// </summary>
    public static FetchRequest SummaryRequest(MessageSummaryItems items = SummaryItems) =>
        new(items) { Headers = new HeaderSet([.. MailParsing.DecodedHeaders, SourceStructure.TypeField]) };

    /// <param name="attachments">The attachments when read from the source (<see cref="SourceStructure"/>); else from the summary's structure.</param>
    public static MessageDto ToDto(IMessageSummary summary, string folder, uint uidValidity, string? text, string? html, IReadOnlyList<AttachmentDto>? attachments = null)
    {
        var envelope = summary.Envelope ?? new Envelope();
        var headers = summary.Headers;
        var from = headers is null
            ? Mailboxes(envelope.From).FirstOrDefault() ?? Mailboxes(envelope.Sender).FirstOrDefault()
            : Raw(headers, HeaderId.From) is { } rawFrom && MailParsing.FirstMailbox(rawFrom) is { } parsedFrom ? parsedFrom
            : Raw(headers, HeaderId.Sender) is { } rawSender && MailParsing.FirstMailbox(rawSender) is { } parsedSender ? parsedSender
            : Mailboxes(envelope.From).FirstOrDefault() ?? Mailboxes(envelope.Sender).FirstOrDefault();
        var subject = headers is null ? envelope.Subject ?? "" : Raw(headers, HeaderId.Subject) is { } rawSubject ? MailParsing.DecodeText(rawSubject) : "";
        var sent = (headers is not null && Raw(headers, HeaderId.Date) is { } rawDate ? MailParsing.ParseDate(rawDate) : null) ?? envelope.Date;
        var received = summary.InternalDate?.ToUniversalTime() ?? sent?.ToUniversalTime() ?? DateTimeOffset.UnixEpoch;
        var id = MessageIds.Encode(folder, uidValidity, summary.UniqueId.Id);
        var cut = false;
        subject = Cut(subject, SubjectLimit, ref cut);
        if (from is not null && from.Name?.Length > NameLimit)
        {
            from = new MailboxAddress(Cut(from.Name, NameLimit, ref cut), from.Address);
        }

        var messageId = Kept(envelope.MessageId);
        cut |= messageId != envelope.MessageId;
        return new MessageDto(
            id,
            subject,
            from?.Address ?? "",
            from?.Name ?? "",
            from is null ? "" : string.IsNullOrWhiteSpace(from.Name) ? from.Address : $"{from.Name} <{from.Address}>",
            Addresses(envelope.To),
            Addresses(envelope.Cc),
            Addresses(envelope.Bcc),
            received,
            sent?.ToUniversalTime() ?? received,
            summary.Flags?.HasFlag(MessageFlags.Seen) == true,
            summary.Flags?.HasFlag(MessageFlags.Flagged) == true,
            (attachments ?? Attachments.List(summary)).Any(a => !a.Inline),
            summary.Size ?? 0,
            text ?? "",
            html,
            Snippet(summary.PreviewText, text),
            folder,
            MessageIds.ForClient(messageId, id),
            summary.UniqueId.Id) { HeadersTruncated = cut };
    }

    /// <summary>A message id as shown: null when over <see cref="MessageIds.RfcIdLimit"/> (dropped, never cut).</summary>
    public static string? Kept(string? id) => id is { Length: > MessageIds.RfcIdLimit } ? null : id;

    /// <summary>A detail's In-Reply-To and References, in angle brackets, without an id over the limit; <c>Cut</c> when one was dropped.</summary>
    public static (string? InReplyTo, IReadOnlyList<string> References, bool Cut) Thread(Envelope envelope, IList<string>? references)
    {
        var inReplyTo = Kept(envelope.InReplyTo) is { Length: > 0 } id ? $"<{id.Trim('<', '>')}>" : null;
        var kept = references?.Select(Kept).OfType<string>().Select(r => $"<{r}>").ToList() ?? [];
        return (inReplyTo, kept, (inReplyTo is null && envelope.InReplyTo is { Length: > 0 }) || kept.Count < (references?.Count ?? 0));
    }

    private static string Cut(string value, int limit, ref bool cut)
    {
        if (value.Length <= limit)
        {
            return value;
        }

        cut = true;
        // Never between the two halves of a surrogate pair.
        var end = char.IsHighSurrogate(value[limit - 1]) ? limit - 1 : limit;
        return value[..end] + "…";
    }

    /// <summary>A message's flags as delta sync and the event stream report them.</summary>
    public static MessageFlagsDto FlagsOf(IMessageSummary summary, string folder, uint uidValidity)
    {
        var flags = summary.Flags ?? MessageFlags.None;
        return new MessageFlagsDto(MessageIds.Encode(folder, uidValidity, summary.UniqueId.Id),
            flags.HasFlag(MessageFlags.Seen), flags.HasFlag(MessageFlags.Flagged), FlagNames(flags, summary.Keywords));
    }

    public static IReadOnlyList<string> FlagNames(MessageFlags flags, IReadOnlySet<string>? keywords)
    {
        var names = new List<string>();
        foreach (var (flag, name) in new[]
        {
            (MessageFlags.Seen, "\\Seen"), (MessageFlags.Flagged, "\\Flagged"), (MessageFlags.Answered, "\\Answered"),
            (MessageFlags.Draft, "\\Draft"), (MessageFlags.Deleted, "\\Deleted"),
        })
        {
            if (flags.HasFlag(flag))
            {
                names.Add(name);
            }
        }

        names.AddRange(keywords ?? new HashSet<string>());
        return names;
    }

    public static IReadOnlyList<string> Addresses(InternetAddressList list) =>
        Mailboxes(list).Select(m => m.Address).ToList();

    /// <summary>The mailboxes of an ENVELOPE list, without Dovecot's placeholders for what the header lacked.</summary>
    private static IEnumerable<MailboxAddress> Mailboxes(InternetAddressList list) =>
        list.Mailboxes.Where(m => !string.IsNullOrEmpty(m.Address) && !MailParsing.IsPlaceholder(m.Address));

    private static byte[]? Raw(HeaderList headers, HeaderId id) => headers.FirstOrDefault(h => h.Id == id)?.RawValue;

    public static string Snippet(string? preview, string? text)
    {
        var source = !string.IsNullOrWhiteSpace(preview) ? preview : text ?? "";
        var collapsed = string.Join(' ', source.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return collapsed.Length <= SnippetLength ? collapsed : collapsed[..SnippetLength].TrimEnd() + "…";
    }
}

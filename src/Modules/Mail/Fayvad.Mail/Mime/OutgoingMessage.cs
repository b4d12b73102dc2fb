using MimeKit;

namespace Fayvad.Mail.Mime;

/// <summary>
/// A file to attach. <see cref="Content"/> must be seekable: a message is written more than once (SMTP size check and
/// DATA, the Sent copy), each time from the start. An upload's stream reads its chunks from PostgreSQL on demand.
/// </summary>
internal sealed record OutgoingAttachment(string FileName, string ContentType, Stream Content, long? UploadId = null)
{
    public OutgoingAttachment(string fileName, string contentType, byte[] content)
        : this(fileName, contentType, new MemoryStream(content, writable: false))
    {
    }

    public long Length => Content.Length;
}

/// <summary>Builds the message a user sends. Header values are cleaned of CR/LF so no input can add a header.</summary>
internal static class OutgoingMessage
{
    /// <summary>Room for the headers and MIME structure around the parts, in <see cref="EncodedSize"/>.</summary>
    private const long EnvelopeAllowance = 16 * 1024;

    public static MimeMessage Build(
        MailboxAddress from,
        IReadOnlyList<MailboxAddress> to,
        IReadOnlyList<MailboxAddress> cc,
        IReadOnlyList<MailboxAddress> bcc,
        string subject,
        string? text,
        string? html,
        IReadOnlyList<OutgoingAttachment> attachments,
        string? inReplyTo,
        IReadOnlyList<string> references,
        DateTimeOffset date,
        IReadOnlyList<MimeEntity>? keptParts = null)
    {
        var message = new MimeMessage { Subject = SingleLine(subject), Date = date };
        message.From.Add(from);
        message.To.AddRange(to);
        message.Cc.AddRange(cc);
        message.Bcc.AddRange(bcc);
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(from.Domain);
        if (inReplyTo is not null)
        {
            message.InReplyTo = inReplyTo;
        }

        foreach (var reference in references)
        {
            message.References.Add(reference);
        }

        // Text alone is one text/plain part; with HTML, multipart/alternative; with files, multipart/mixed around it.
        var body = new BodyBuilder { TextBody = text ?? "", HtmlBody = string.IsNullOrEmpty(html) ? null : html };
        foreach (var attachment in attachments)
        {
            body.Attachments.Add(AttachmentPart(attachment));
        }

        foreach (var part in keptParts ?? [])
        {
            body.Attachments.Add(part);
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>
    /// The part streams its content when the message is written (BodyBuilder.Attachments.Add(name, stream) would
    /// copy the whole file into memory first).
    /// </summary>
    public static MimePart AttachmentPart(OutgoingAttachment attachment)
    {
        var type = ContentType.TryParse(attachment.ContentType, out var parsed) ? parsed : new ContentType("application", "octet-stream");
        return new MimePart(type)
        {
            Content = new MimeContent(attachment.Content),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = SafeFileName(attachment.FileName),
        };
    }

    /// <summary>
    /// An upper bound of the message's size as submitted: base64 for files, and for the bodies too (MimeKit picks
    /// quoted-printable only when it is smaller). Postfix's message_size_limit counts exactly this.
    /// </summary>
    public static long EncodedSize(ComposedBody body, IEnumerable<OutgoingAttachment> attachments, long alreadyEncoded = 0) =>
        EnvelopeAllowance + alreadyEncoded
        + Base64Size(System.Text.Encoding.UTF8.GetByteCount(body.Text))
        + (body.Html is null ? 0 : Base64Size(System.Text.Encoding.UTF8.GetByteCount(body.Html)))
        + attachments.Sum(a => Base64Size(a.Length) + 512);

    /// <summary>Base64 in 76-character lines, each ended by CRLF.</summary>
    public static long Base64Size(long bytes)
    {
        var chars = (bytes + 2) / 3 * 4;
        return chars + ((chars + 75) / 76 * 2);
    }

    public static string SingleLine(string value) =>
        string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    /// <summary>A name a file may safely carry: no folders, no control or bidi-override characters, at most 255 characters.</summary>
    public static string SafeFileName(string name)
    {
        var visible = new string(name.Where(c => !char.IsControl(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format).ToArray());
        var clean = Path.GetFileName(visible.Replace('\\', '/')).Trim();
        if (clean.Length > 255)
        {
            var extension = Path.GetExtension(clean);
            clean = extension.Length is > 0 and <= 16
                ? clean[..(255 - extension.Length)] + extension
                : clean[..255];
        }

        return string.IsNullOrWhiteSpace(clean) || clean is "." or ".." ? "attachment" : clean;
    }
}

using MimeKit;

namespace Fayvad.Mail.Mime;

internal sealed record OutgoingAttachment(string FileName, string ContentType, byte[] Content);

/// <summary>Builds the message a user sends. Header values are cleaned of CR/LF so no input can add a header.</summary>
internal static class OutgoingMessage
{
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
        DateTimeOffset date)
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

        var body = new BodyBuilder { TextBody = text ?? "", HtmlBody = string.IsNullOrEmpty(html) ? null : html };
        foreach (var attachment in attachments)
        {
            body.Attachments.Add(SafeFileName(attachment.FileName), attachment.Content, ContentType.Parse(attachment.ContentType));
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    public static string SingleLine(string value) =>
        string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    public static string SafeFileName(string name)
    {
        var clean = Path.GetFileName(SingleLine(name).Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(clean) ? "attachment" : clean;
    }
}

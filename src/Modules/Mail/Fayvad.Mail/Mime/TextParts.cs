using MailKit;

namespace Fayvad.Mail.Mime;

/// <summary>
/// Which parts of the server's BODYSTRUCTURE are the text a reader sees: MailKit's choice of text and html body, and
/// otherwise a part whose Content-Type the server could not read (Dovecot reports it as <c>"" ""</c>) or that names no
/// subtype, which RFC 2045 5.2 says to read as <c>text/plain; charset=us-ascii</c>. The list, the detail, the body
/// endpoint and the attachment table all use this choice, so a part is either the body or an attachment.
/// </summary>
internal static class TextParts
{
    public static BodyPartBasic? Text(IMessageSummary summary)
    {
        var chosen = summary.TextBody;
        if (chosen is { Octets: 0 } && summary.HtmlBody is null && string.IsNullOrEmpty(chosen.FileName ?? chosen.ContentType.Name)
            && summary.BodyParts.OfType<BodyPartText>().FirstOrDefault(p => p.IsPlain && !p.IsAttachment && p.Octets > 0) is { } filled)
        {
            // Dovecot's empty, unnamed stand-in for a multipart that never opened, before a part with text: the text.
            return filled;
        }

        return chosen ?? (summary.HtmlBody is null && summary.Body is not null ? summary.BodyParts.FirstOrDefault(IsDefaultPlain) : null);
    }

    public static BodyPartBasic? Html(IMessageSummary summary) => summary.HtmlBody;

    /// <summary>A part shown inline whose type is empty or unreadable, or "text" without subtype.</summary>
    public static bool IsDefaultPlain(BodyPartBasic part) =>
        !part.IsAttachment && part is not BodyPartMessage
        && (string.IsNullOrEmpty(part.ContentType.MediaType)
            || (string.Equals(part.ContentType.MediaType, "text", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(part.ContentType.MediaSubtype)));
}

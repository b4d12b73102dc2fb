using MailKit;

namespace Fayvad.Mail.Mime;

/// <summary>Attachments and inline parts, read from BODYSTRUCTURE; the id is the IMAP part specifier ("2", "1.2").</summary>
internal static class Attachments
{
    public static IReadOnlyList<AttachmentDto> List(IMessageSummary summary)
    {
        var bodies = new HashSet<string?>(StringComparer.Ordinal) { summary.TextBody?.PartSpecifier, summary.HtmlBody?.PartSpecifier };
        return summary.BodyParts
            // Every leaf but the chosen text and HTML bodies: a second text part is content the reader must reach too.
            .Where(part => !bodies.Contains(part.PartSpecifier))
            .Select(part => new AttachmentDto(
                part.PartSpecifier,
                FileName(part),
                part.ContentType.MimeType.ToLowerInvariant(),
                part.Octets,
                !part.IsAttachment && !string.IsNullOrEmpty(part.ContentId),
                string.IsNullOrEmpty(part.ContentId) ? null : part.ContentId.Trim('<', '>')))
            .ToList();
    }

    public static BodyPartBasic? Find(IMessageSummary summary, string partSpecifier) =>
        summary.BodyParts.FirstOrDefault(p => p.PartSpecifier == partSpecifier);

    public static string FileName(BodyPartBasic part)
    {
        var name = part.FileName ?? part.ContentType.Name;
        if (!string.IsNullOrWhiteSpace(name))
        {
            return name.Trim();
        }

        return part is BodyPartMessage ? "message.eml" : $"part-{part.PartSpecifier}{Extension(part.ContentType.MimeType)}";
    }

    private static string Extension(string mimeType) => MimeKit.MimeTypes.TryGetExtension(mimeType, out var ext) ? ext : ".bin";
}

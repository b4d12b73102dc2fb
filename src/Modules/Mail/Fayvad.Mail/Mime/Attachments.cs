using MailKit;

namespace Fayvad.Mail.Mime;

/// <summary>
/// Attachments and inline parts, read from BODYSTRUCTURE; the id is the IMAP part specifier ("2", "1.2"). A message that
/// is not multipart has the one part "1" (RFC 3501 6.4.5): a TNEF winmail.dat, an smime.p7m or a file sent as the
/// whole message is an attachment too.
/// </summary>
internal static class Attachments
{
    public const string SinglePart = "1";

    public static IReadOnlyList<AttachmentDto> List(IMessageSummary summary)
    {
        // A body part marked "attachment" (a text file sent as the whole message) is both shown and downloadable.
        var bodies = new HashSet<string?>(StringComparer.Ordinal);
        foreach (var body in new[] { TextParts.Text(summary), TextParts.Html(summary) })
        {
            if (body is { IsAttachment: false })
            {
                bodies.Add(body.PartSpecifier);
            }
        }

        return summary.BodyParts
            // Every leaf but the chosen text and HTML bodies: a second text part is content the reader must reach too.
            .Where(part => !bodies.Contains(part.PartSpecifier))
            // An empty part without a name (a stray boundary's leftover) is nothing a user would call an attachment.
            .Where(part => part.Octets > 0 || !string.IsNullOrWhiteSpace(part.FileName ?? part.ContentType.Name))
            .Select(part => new AttachmentDto(
                IdOf(part),
                FileName(part),
                part.ContentType.MimeType.ToLowerInvariant(),
                part.Octets,
                !part.IsAttachment && !string.IsNullOrEmpty(part.ContentId),
                string.IsNullOrEmpty(part.ContentId) ? null : part.ContentId.Trim('<', '>')))
            .ToList();
    }

    public static BodyPartBasic? Find(IMessageSummary summary, string id) =>
        summary.BodyParts.FirstOrDefault(p => IdOf(p) == id);

    /// <summary>MailKit names the body of a single-part message ""; IMAP and the API call it "1".</summary>
    public static string IdOf(BodyPartBasic part) => string.IsNullOrEmpty(part.PartSpecifier) ? SinglePart : part.PartSpecifier;

    public static string FileName(BodyPartBasic part) =>
        FileName(part.FileName ?? part.ContentType.Name, part is BodyPartMessage, IdOf(part), part.ContentType.MimeType);

    /// <summary>The sender's name made safe; without one, "message.eml" for an attached message, else "part-{id}" and the type's extension.</summary>
    public static string FileName(string? senderName, bool message, string id, string mimeType)
    {
        var name = SafeFileName(senderName);
        if (name.Length > 0)
        {
            return name;
        }

        return message ? "message.eml" : $"part-{id}{Extension(mimeType)}";
    }

    /// <summary>
    /// A sender's file name as a download may carry it: the last path segment only (no "../", no folders of the
    /// sender's disk), without control characters; "" when nothing usable is left.
    /// </summary>
    public static string SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "";
        }

        var clean = new string(name.Where(c => !char.IsControl(c)).ToArray());
        var last = clean.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        last = last.Trim().TrimStart('.').Trim();
        return last.Length > 255 ? last[..255] : last;
    }

    private static string Extension(string mimeType) => MimeKit.MimeTypes.TryGetExtension(mimeType, out var ext) ? ext : ".bin";
}

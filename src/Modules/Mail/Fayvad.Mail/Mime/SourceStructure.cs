using System.Text;
using Fayvad.Mail.Imap;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using MimeKit.IO;

namespace Fayvad.Mail.Mime;

/// <summary>
/// A message's parts as MimeKit reads its source, for a message whose server structure is unusable: no BODYSTRUCTURE was
/// fetched (a lesser fetch plan, docs/adr/0033), or the server dropped a boundary MimeKit reads (Dovecot ends the
/// Content-Type parameters at an empty one, <c>multipart/mixed;;</c>, so the parts behind it have no IMAP part to list or
/// fetch). List, detail and download all take the parts from here for such a message, so an attachment id a client got
/// from the detail downloads. Ids are IMAP part specifiers counted over MimeKit's tree (RFC 3501 6.4.5). Only such a
/// message pays for its source, up to <see cref="SourceLimit"/>.
/// </summary>
internal sealed class SourceStructure : IDisposable
{
    /// <summary>The largest source read whole for a message whose structure the server could not describe.</summary>
    public const uint SourceLimit = 32 * 1024 * 1024;

    /// <summary>The header field fetched with every summary so that <see cref="Needed"/> costs no round trip.</summary>
    public const HeaderId TypeField = HeaderId.ContentType;

    private readonly MimeMessage _message;
    private readonly List<(string Id, MimeEntity Entity)> _leaves;

    private SourceStructure(MimeMessage message)
    {
        _message = message;
        var (text, html, unreadable) = BodyParts(message);
        _leaves = Leaves(message.Body, "").ToList();
        Attachments = _leaves
            .Where(l => l.Entity != text && l.Entity != html && l.Entity != unreadable)
            .Select(l => (l.Id, l.Entity, Size: SizeOf(l.Entity)))
            // An empty part without a name is nothing a user would call an attachment (as Attachments.List).
            .Where(l => l.Size > 0 || !string.IsNullOrWhiteSpace(NameOf(l.Entity)))
            .Select(l => Describe(l.Id, l.Entity, l.Size))
            .ToList();
        var body = BodyLoader.FromMessage(message, null) ?? default;
        Body = Cut(body);
    }

    public IReadOnlyList<AttachmentDto> Attachments { get; }

    /// <summary>The text and html bodies, each at most <see cref="BodyLoader.MaxBodyBytes"/> characters (the rest at the body endpoint).</summary>
    public LoadedBody Body { get; }

    /// <summary>The whole text body (or the html when there is none), for the body endpoint.</summary>
    public string? WholeText => BodyLoader.FromMessage(_message, null) is { } body ? body.Text ?? body.Html : null;

    /// <summary>
    /// Whether the server's structure cannot serve this message: none was fetched, or the message's Content-Type names a
    /// multipart with a boundary that the server's structure lacks. Decided from the summary alone.
    /// </summary>
    public static bool Needed(IMessageSummary summary) =>
        summary.Size is <= SourceLimit && (summary.Body is null || DroppedBoundary(summary));

    private static bool DroppedBoundary(IMessageSummary summary) =>
        summary.Headers?.FirstOrDefault(h => h.Id == TypeField)?.RawValue is { } raw
        && ContentType.TryParse(MailParsing.Options, raw, out var type)
        && type.IsMimeType("multipart", "*") && !string.IsNullOrEmpty(type.Boundary)
        && summary.Body is not BodyPartMultipart { ContentType.Boundary.Length: > 0 };

    /// <summary>The message's structure from its source; null when MimeKit cannot parse it.</summary>
    public static async Task<SourceStructure?> LoadAsync(IMailFolder folder, UniqueId uid, CancellationToken cancellationToken)
    {
        await using var source = await folder.GetStreamAsync(uid, cancellationToken);
        var message = await MailParsing.TryLoadAsync(source, cancellationToken);
        return message is null ? null : new SourceStructure(message);
    }

    /// <summary>Attachments and bodies of those <paramref name="summaries"/> that need their source; a message the server refuses is left to its structure.</summary>
    public static async Task<Dictionary<uint, (IReadOnlyList<AttachmentDto> Attachments, LoadedBody Body)>> ReadAsync(
        IMailFolder folder, IEnumerable<IMessageSummary> summaries, CancellationToken cancellationToken)
    {
        var read = new Dictionary<uint, (IReadOnlyList<AttachmentDto>, LoadedBody)>();
        foreach (var summary in summaries.Where(Needed))
        {
            try
            {
                using var structure = await LoadAsync(folder, summary.UniqueId, cancellationToken);
                if (structure is not null)
                {
                    read[summary.UniqueId.Id] = (structure.Attachments, structure.Body);
                }
            }
            catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
            {
                // Listed from what the server gave.
            }
        }

        return read;
    }

    /// <summary>Copies an attachment's content with its transfer encoding undone (an attached message as the source holds it); null when no attachment has that id.</summary>
    public async Task<AttachmentDto?> CopyDecodedAsync(string id, Stream destination, CancellationToken cancellationToken)
    {
        if (Attachments.FirstOrDefault(a => a.Id == id) is not { } attachment)
        {
            return null;
        }

        switch (_leaves.First(l => l.Id == id).Entity)
        {
            case MimePart { Content.Stream: { } encoded } part:
                // Stream is the content as encoded (Open() would decode it, and uuencode by MimeKit's decoder).
                encoded.Position = 0;
                await PartContent.DecodeAsync(encoded, part.Content.Encoding, destination, cancellationToken);
                break;
            case MessagePart { Message: { } embedded }:
                await embedded.WriteToAsync(Format, destination, cancellationToken);
                break;
        }

        return attachment;
    }

    public void Dispose() => _message.Dispose();

    private static readonly FormatOptions Format = new() { NewLineFormat = NewLineFormat.Dos };

    /// <summary>
    /// The text, html and unreadable-type parts a reader sees, chosen as MimeKit's TextBody and HtmlBody choose: the last
    /// fitting alternative, a related's root, else the first fitting part in order; never one marked attachment. The
    /// unreadable-type part (a Content-Type that does not parse, RFC 2045 5.2: plain text) only when no text part is.
    /// </summary>
    public static (TextPart? Text, TextPart? Html, MimePart? Unreadable) BodyParts(MimeMessage message)
    {
        var text = Chosen(message.Body, "plain");
        return (text, Chosen(message.Body, "html"), text is null ? message.BodyParts.OfType<MimePart>().FirstOrDefault(IsUnreadableType) : null);
    }

    private static TextPart? Chosen(MimeEntity? entity, string subtype)
    {
        switch (entity)
        {
            case MultipartAlternative alternative:
                for (var i = alternative.Count - 1; i >= 0; i--)
                {
                    if (Chosen(alternative[i], subtype) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case MultipartRelated related:
                return Chosen(related.Root, subtype);
            case Multipart multipart:
                return multipart.Select(child => Chosen(child, subtype)).FirstOrDefault(found => found is not null);
            case TextPart part when !part.IsAttachment && part.ContentType.IsMimeType("text", subtype):
                return part;
            default:
                return null;
        }
    }

    /// <summary>A part MimeKit made application/octet-stream because its Content-Type header was empty or unreadable.</summary>
    public static bool IsUnreadableType(MimePart part) =>
        !part.IsAttachment
        && part.Headers[HeaderId.ContentType] is { } value
        && !ContentType.TryParse(MailParsing.Options, Encoding.Latin1.GetBytes(value), out _);

    /// <summary>Every leaf with its IMAP part specifier: a multipart's children count from 1, an attached message is a leaf, a single part is "1".</summary>
    private static IEnumerable<(string Id, MimeEntity Entity)> Leaves(MimeEntity? entity, string prefix)
    {
        if (entity is Multipart multipart)
        {
            for (var i = 0; i < multipart.Count; i++)
            {
                foreach (var leaf in Leaves(multipart[i], prefix.Length == 0 ? $"{i + 1}" : $"{prefix}.{i + 1}"))
                {
                    yield return leaf;
                }
            }
        }
        else if (entity is not null)
        {
            yield return (prefix.Length == 0 ? Mime.Attachments.SinglePart : prefix, entity);
        }
    }

    /// <summary>The size as stored: a part's encoded content, an attached message's bytes.</summary>
    private static long SizeOf(MimeEntity entity)
    {
        if (entity is MimePart { Content.Stream: { } encoded })
        {
            return encoded.Length;
        }

        if (entity is MessagePart { Message: { } embedded })
        {
            using var measure = new MeasuringStream();
            embedded.WriteTo(Format, measure);
            return measure.Length;
        }

        return 0;
    }

    private static string? NameOf(MimeEntity entity) =>
        entity is MimePart part ? part.FileName : entity.ContentDisposition?.FileName ?? entity.ContentType.Name;

    private static AttachmentDto Describe(string id, MimeEntity entity, long size)
    {
        var name = NameOf(entity);
        var contentId = entity.ContentId;
        return new AttachmentDto(
            id,
            Mime.Attachments.FileName(name, entity is MessagePart, id, entity.ContentType.MimeType),
            entity.ContentType.MimeType.ToLowerInvariant(),
            size,
            entity.ContentDisposition?.IsAttachment != true && !string.IsNullOrEmpty(contentId),
            string.IsNullOrEmpty(contentId) ? null : contentId.Trim('<', '>'));
    }

    private static LoadedBody Cut(LoadedBody body)
    {
        var cut = false;
        string? Limit(string? value)
        {
            if (value is null || value.Length <= BodyLoader.MaxBodyBytes)
            {
                return value;
            }

            cut = true;
            var end = char.IsHighSurrogate(value[BodyLoader.MaxBodyBytes - 1]) ? BodyLoader.MaxBodyBytes - 1 : BodyLoader.MaxBodyBytes;
            return value[..end];
        }

        var text = Limit(body.Text);
        var html = Limit(body.Html);
        return new LoadedBody(text, html, cut || body.Truncated);
    }
}

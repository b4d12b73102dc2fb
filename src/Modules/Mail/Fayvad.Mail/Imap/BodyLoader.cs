using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>A message's text and html bodies as a reader sees them; <see cref="Truncated"/> when either is only the start of its part.</summary>
internal readonly record struct LoadedBody(string? Text, string? Html, bool Truncated)
{
    public void Deconstruct(out string? text, out string? html) => (text, html) = (Text, Html);
}

/// <summary>
/// Loads the text and html bodies of messages without marking them read (BODY.PEEK). Small messages come whole, all
/// in one UID FETCH, which beats two round trips per message for a page of fifty; a large one, or one MimeKit cannot
/// parse whole or finds no text in where the server's BODYSTRUCTURE names some, is fetched part by part as
/// BODYSTRUCTURE describes it, so that listing never downloads attachments and one unreadable message never costs the
/// page. A part is read only up to <see cref="MaxBodyBytes"/>: a longer body comes back as its start, marked truncated
/// (the whole text is at <c>GET email/messages/{id}/body/</c>).
/// </summary>
internal static partial class BodyLoader
{
    /// <summary>The most of one body part, as stored (before its transfer encoding is undone), that a list or detail carries.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>
    /// Up to this RFC822.SIZE a message is fetched and parsed whole. Not above <see cref="MaxBodyBytes"/>: no part of a
    /// message fetched whole is over the limit, so only the part-by-part path ever cuts.
    /// </summary>
    public const uint WholeMessageLimit = MaxBodyBytes;

    /// <summary>How much of a multipart without any text part is read for its preamble (usually one line before files).</summary>
    private const int PreambleBytes = 16 * 1024;

    /// <param name="unparsed">Receives the UIDs of messages MimeKit could not parse whole (their bodies, if any, come from BODYSTRUCTURE).</param>
    public static async Task<IReadOnlyDictionary<uint, LoadedBody>> LoadAsync(
        IMailFolder folder, IReadOnlyCollection<IMessageSummary> summaries, CancellationToken cancellationToken, ISet<uint>? unparsed = null)
    {
        var bodies = new Dictionary<uint, LoadedBody>(summaries.Count);
        // A multipart may hold its only text in its preamble, so it is read even when no part is text (only its start,
        // from the structure path: such a message is usually files, which the list never downloads).
        var withText = summaries.Where(s => TextParts.Text(s) is not null || TextParts.Html(s) is not null || s.Body is BodyPartMultipart)
            .ToDictionary(s => s.UniqueId.Id);
        var imap = folder as IImapFolder;
        List<UniqueId> whole = imap is null ? [] : withText.Values
            .Where(s => s.Size is <= WholeMessageLimit && (TextParts.Text(s) is not null || TextParts.Html(s) is not null || HiddenText(s)))
            .Select(s => s.UniqueId).ToList();
        var refused = new HashSet<uint>();
        if (imap is not null && whole.Count > 0)
        {
            var delivered = new HashSet<uint>();
            try
            {
                await imap.GetStreamsAsync(whole, async (_, _, uid, stream, ct) =>
                {
                    delivered.Add(uid.Id);
                    // Never throws: an exception here would abandon the rest of the FETCH response.
                    using var message = await MailParsing.TryLoadAsync(stream, ct);
                    if (message is null)
                    {
                        unparsed?.Add(uid.Id);
                        return;
                    }

                    // Left to the part-by-part path when MimeKit finds no text where the server's structure names some.
                    if (FromMessage(message, withText[uid.Id]) is { } body)
                    {
                        bodies[uid.Id] = body;
                    }
                }, cancellationToken);
            }
            catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
            {
                // The server could not give some message (it still sent the others): that one goes without a body, and is
                // not asked for again part by part (a second failed FETCH of it would end the connection).
                foreach (var uid in whole.Where(u => !delivered.Contains(u.Id)))
                {
                    unparsed?.Add(uid.Id);
                    refused.Add(uid.Id);
                    bodies[uid.Id] = default;
                }
            }
        }

        foreach (var summary in withText.Values.Where(s => !bodies.ContainsKey(s.UniqueId.Id) && !refused.Contains(s.UniqueId.Id)))
        {
            try
            {
                bodies[summary.UniqueId.Id] = await FromStructureAsync(folder, summary, cancellationToken);
            }
            catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
            {
                unparsed?.Add(summary.UniqueId.Id);
                bodies[summary.UniqueId.Id] = default;
            }
        }

        // A body the server found empty because it read the text as header lines (no blank line after the header, or
        // none at all): the text starts at the first line that is no header field, as Python's email reads it.
        foreach (var summary in withText.Values.Where(s => s.Body is BodyPartBasic { Octets: 0 } && !refused.Contains(s.UniqueId.Id)))
        {
            var found = bodies.GetValueOrDefault(summary.UniqueId.Id);
            if (string.IsNullOrWhiteSpace(found.Text) && found.Html is null)
            {
                try
                {
                    var (text, truncated) = await ReadTextInHeaderAsync(folder, summary.UniqueId, cancellationToken);
                    bodies[summary.UniqueId.Id] = found with { Text = text ?? found.Text, Truncated = truncated };
                }
                catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
                {
                    unparsed?.Add(summary.UniqueId.Id);
                }
            }
        }

        return bodies;
    }

    /// <summary>
    /// No text in the server's BODYSTRUCTURE, yet a part that is no named attachment: where Dovecot stops describing a
    /// structure (past 100 nested multiparts it shows an empty application/octet-stream), MimeKit still finds the text.
    /// </summary>
    private static bool HiddenText(IMessageSummary summary) =>
        TextParts.Text(summary) is null && TextParts.Html(summary) is null && summary.Body is BodyPartMultipart
        && summary.BodyParts.Any(p => !p.IsAttachment && string.IsNullOrEmpty(p.FileName) && string.IsNullOrEmpty(p.ContentType.Name));

    /// <summary>The text after the header's last well-formed line when no blank line ends the header; null when one does.</summary>
    private static async Task<(string? Text, bool Truncated)> ReadTextInHeaderAsync(IMailFolder folder, UniqueId uid, CancellationToken cancellationToken)
    {
        await using var stored = await folder.GetStreamAsync(uid, "HEADER", 0, MaxBodyBytes + 1, cancellationToken);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy, cancellationToken);
        var bytes = copy.ToArray();
        var truncated = bytes.Length > MaxBodyBytes;
        var header = Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, MaxBodyBytes));
        for (var at = 0; at < header.Length;)
        {
            var next = header.IndexOf('\n', at) is var end and >= 0 ? end + 1 : header.Length;
            var line = header[at..next].TrimEnd('\r', '\n');
            if (line.Length == 0)
            {
                return (null, false);
            }

            if (!HeaderLine().IsMatch(line))
            {
                // Latin-1 keeps one character per byte, so the offset is the byte offset.
                var text = MailParsing.Text(bytes[at..header.Length], null);
                return text.Trim().Length == 0 ? (null, false) : (Cut(text, truncated), truncated);
            }

            at = next;
        }

        return (null, false);
    }

    /// <summary>A header field, a folded continuation, or an mbox From line (Python's email uses the same test).</summary>
    [GeneratedRegex(@"^(From |[\x21-\x39\x3B-\x7E]*:|[\t ])")]
    private static partial Regex HeaderLine();

    /// <summary>
    /// The bodies MimeKit finds in a whole message (<see cref="SourceStructure.BodyParts"/>), with what it misses: a part
    /// whose Content-Type it could not read is plain text (RFC 2045 5.2), and a multipart without any text shows its
    /// preamble. Null when the server's structure (<paramref name="summary"/>, if given) names a text or html part MimeKit
    /// found nothing in (the parsers split a malformed message differently).
    /// </summary>
    public static LoadedBody? FromMessage(MimeMessage message, IMessageSummary? summary)
    {
        var (textPart, htmlPart, unreadable) = SourceStructure.BodyParts(message);
        var text = textPart is not null ? MailParsing.Text(textPart) : unreadable is not null ? DecodedText(unreadable) : null;
        var html = htmlPart?.Text;
        if (text is null && html is null && message.Body is Multipart { Preamble: { } preamble } && preamble.Trim().Length > 0)
        {
            text = preamble;
        }

        var missed = summary is not null
            && ((text is null && TextParts.Text(summary) is { Octets: > 0 }) || (html is null && TextParts.Html(summary) is { Octets: > 0 }));
        return missed ? null : new LoadedBody(text, html, false);
    }

    private static string DecodedText(MimePart part)
    {
        using var bytes = new MemoryStream();
        part.Content?.DecodeTo(bytes);
        return MailParsing.Text(bytes.ToArray(), null);
    }

    /// <summary>The bodies as BODYSTRUCTURE names them, each read up to the limit; a multipart without text shows its preamble.</summary>
    private static async Task<LoadedBody> FromStructureAsync(IMailFolder folder, IMessageSummary summary, CancellationToken cancellationToken)
    {
        var textPart = TextParts.Text(summary);
        var (text, textCut) = textPart is not null ? await ReadPartAsync(folder, summary.UniqueId, textPart, cancellationToken) : (null, false);
        var (html, htmlCut) = TextParts.Html(summary) is { } htmlPart ? await ReadPartAsync(folder, summary.UniqueId, htmlPart, cancellationToken) : (null, false);
        if (string.IsNullOrEmpty(text) && html is null && summary.Body is BodyPartMultipart multipart)
        {
            // Dovecot's empty text part marks a multipart whose boundary never came: all of its text is the preamble.
            var limit = textPart is { Octets: 0 } ? MaxBodyBytes : PreambleBytes;
            (text, textCut) = await ReadPreambleAsync(folder, summary.UniqueId, multipart, limit, cancellationToken);
        }

        return new LoadedBody(text, html, textCut || htmlCut);
    }

    /// <summary>One part's text, decoded by its transfer encoding and charset, at most <see cref="MaxBodyBytes"/> of it as stored.</summary>
    public static async Task<(string? Text, bool Truncated)> ReadPartAsync(IMailFolder folder, UniqueId uid, BodyPartBasic part, CancellationToken cancellationToken)
    {
        var truncated = part.Octets > MaxBodyBytes;
        var section = Attachments.IdOf(part);
        await using var stored = truncated
            ? await folder.GetStreamAsync(uid, section, 0, MaxBodyBytes, cancellationToken)
            : await folder.GetStreamAsync(uid, section, cancellationToken);
        using var decoded = new MemoryStream();
        await PartContent.DecodeAsync(stored, PartContent.EncodingOf(part), decoded, cancellationToken);
        return (Cut(MailParsing.Text(decoded.ToArray(), part.ContentType.Charset), truncated), truncated);
    }

    /// <summary>
    /// The text before a multipart's first boundary (all of it when the boundary never comes), as Python's email and
    /// mail clients show it; Dovecot lists such a multipart with one empty text part.
    /// </summary>
    private static async Task<(string? Text, bool Truncated)> ReadPreambleAsync(
        IMailFolder folder, UniqueId uid, BodyPartMultipart multipart, int limit, CancellationToken cancellationToken)
    {
        var section = string.IsNullOrEmpty(multipart.PartSpecifier) ? "TEXT" : multipart.PartSpecifier + ".TEXT";
        await using var stored = await folder.GetStreamAsync(uid, section, 0, limit + 1, cancellationToken);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy, cancellationToken);
        var bytes = copy.ToArray();
        var truncated = bytes.Length > limit;
        var text = MailParsing.Text(truncated ? bytes[..limit] : bytes, null);
        if (multipart.ContentType.Boundary is { Length: > 0 } boundary)
        {
            var delimiter = "--" + boundary;
            var at = text.StartsWith(delimiter, StringComparison.Ordinal) ? 0 : text.IndexOf("\n" + delimiter, StringComparison.Ordinal);
            if (at >= 0)
            {
                (text, truncated) = (text[..at].TrimEnd('\r'), false);
            }
        }

        return text.Trim().Length == 0 ? (null, false) : (Cut(text, truncated), truncated);
    }

    /// <summary>A cut can split a character: its remains are dropped.</summary>
    private static string Cut(string text, bool truncated) => truncated ? text.TrimEnd('\uFFFD') : text;
}

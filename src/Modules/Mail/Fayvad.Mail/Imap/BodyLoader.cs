using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>
/// Loads the text and html bodies of messages without marking them read (BODY.PEEK). Small messages come whole, all
/// in one UID FETCH, which beats two round trips per message for a page of fifty; a large one, or one MimeKit cannot
/// parse whole, is fetched part by part as the server's BODYSTRUCTURE describes it, so that listing never downloads
/// attachments and one unreadable message never costs the page.
/// </summary>
internal static class BodyLoader
{
    /// <summary>Above this RFC822.SIZE a message's text parts are fetched one by one.</summary>
    public const uint WholeMessageLimit = 256 * 1024;

    /// <param name="unparsed">Receives the UIDs of messages MimeKit could not parse whole (their bodies, if any, come from BODYSTRUCTURE).</param>
    public static async Task<IReadOnlyDictionary<uint, (string? Text, string? Html)>> LoadAsync(
        IMailFolder folder, IReadOnlyCollection<IMessageSummary> summaries, CancellationToken cancellationToken, ISet<uint>? unparsed = null)
    {
        var bodies = new Dictionary<uint, (string? Text, string? Html)>(summaries.Count);
        var withText = summaries.Where(s => s.TextBody is not null || s.HtmlBody is not null).ToList();
        var imap = folder as IImapFolder;
        List<UniqueId> whole = imap is null ? [] : withText.Concat(summaries.Where(HiddenText))
            .Where(s => s.Size is <= WholeMessageLimit).Select(s => s.UniqueId).ToList();
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

                    bodies[uid.Id] = (Text(message), message.HtmlBody);
                }, cancellationToken);
            }
            catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
            {
                // The server could not give some message (it still sent the others): that one goes without a body, and is
                // not asked for again part by part (a second failed FETCH of it would end the connection).
                foreach (var uid in whole.Where(u => !delivered.Contains(u.Id)))
                {
                    unparsed?.Add(uid.Id);
                    bodies[uid.Id] = (null, null);
                }
            }
        }

        foreach (var summary in withText.Where(s => !bodies.ContainsKey(s.UniqueId.Id)))
        {
            string? text = null, html = null;
            try
            {
                text = summary.TextBody is { } textPart ? await ReadPartAsync(folder, summary.UniqueId, textPart, cancellationToken) : null;
                html = summary.HtmlBody is { } htmlPart ? await ReadPartAsync(folder, summary.UniqueId, htmlPart, cancellationToken) : null;
            }
            catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
            {
                unparsed?.Add(summary.UniqueId.Id);
            }

            bodies[summary.UniqueId.Id] = (text, html);
        }

        return bodies;
    }

    /// <summary>
    /// No text in the server's BODYSTRUCTURE, yet a part that is no named attachment: where Dovecot stops describing a
    /// structure (past 100 nested multiparts it shows an empty application/octet-stream), MimeKit still finds the text.
    /// </summary>
    private static bool HiddenText(IMessageSummary summary) =>
        summary.TextBody is null && summary.HtmlBody is null && summary.Body is BodyPartMultipart
        && summary.BodyParts.Any(p => !p.IsAttachment && string.IsNullOrEmpty(p.FileName) && string.IsNullOrEmpty(p.ContentType.Name));

    /// <summary>MimeKit's TextBody, except that a UTF-7 part (which .NET will not decode for MimeKit) is decoded by <see cref="MailParsing.Text"/>.</summary>
    private static string? Text(MimeMessage message)
    {
        var body = message.TextBody;
        var utf7 = body is null ? null : message.BodyParts.OfType<TextPart>()
            .FirstOrDefault(p => p.IsPlain && string.Equals(p.ContentType.Charset, "utf-7", StringComparison.OrdinalIgnoreCase) && p.Text == body);
        return utf7 is null ? body : MailParsing.Text(utf7);
    }

    private static async Task<string?> ReadPartAsync(IMailFolder folder, UniqueId uid, BodyPartText part, CancellationToken cancellationToken)
    {
        try
        {
            var entity = await folder.GetBodyPartAsync(uid, part, cancellationToken);
            // TextPart decodes the transfer encoding and the declared charset.
            return entity is TextPart text ? MailParsing.Text(text) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

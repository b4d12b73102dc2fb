using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace Fayvad.Mail.Imap;

/// <summary>
/// Loads the text and html bodies of messages without marking them read (BODY.PEEK). Small messages come whole, all
/// in one UID FETCH, which beats two round trips per message for a page of fifty; a large one is fetched part by
/// part so that listing never downloads its attachments.
/// </summary>
internal static class BodyLoader
{
    /// <summary>Above this RFC822.SIZE a message's text parts are fetched one by one.</summary>
    public const uint WholeMessageLimit = 256 * 1024;

    public static async Task<IReadOnlyDictionary<uint, (string? Text, string? Html)>> LoadAsync(
        IMailFolder folder, IReadOnlyCollection<IMessageSummary> summaries, CancellationToken cancellationToken)
    {
        var bodies = new Dictionary<uint, (string? Text, string? Html)>(summaries.Count);
        var withText = summaries.Where(s => s.TextBody is not null || s.HtmlBody is not null).ToList();
        var imap = folder as IImapFolder;
        List<UniqueId> whole = imap is null ? [] : withText.Where(s => s.Size is <= WholeMessageLimit).Select(s => s.UniqueId).ToList();
        if (imap is not null && whole.Count > 0)
        {
            await imap.GetStreamsAsync(whole, async (_, _, uid, stream, ct) =>
            {
                using var message = await MimeMessage.LoadAsync(stream, ct);
                bodies[uid.Id] = (message.TextBody, message.HtmlBody);
            }, cancellationToken);
        }

        foreach (var summary in withText.Where(s => !bodies.ContainsKey(s.UniqueId.Id)))
        {
            var text = summary.TextBody is { } textPart ? await ReadPartAsync(folder, summary.UniqueId, textPart, cancellationToken) : null;
            var html = summary.HtmlBody is { } htmlPart ? await ReadPartAsync(folder, summary.UniqueId, htmlPart, cancellationToken) : null;
            bodies[summary.UniqueId.Id] = (text, html);
        }

        return bodies;
    }

    private static async Task<string?> ReadPartAsync(IMailFolder folder, UniqueId uid, BodyPartText part, CancellationToken cancellationToken)
    {
        var entity = await folder.GetBodyPartAsync(uid, part, cancellationToken);
        // TextPart decodes the transfer encoding and the declared charset.
        return entity is TextPart text ? text.Text : null;
    }
}

using MailKit;
using MimeKit;

namespace Fayvad.Mail.Imap;

/// <summary>Fetches only the text parts BODYSTRUCTURE points at (BODY.PEEK, so nothing is marked read).</summary>
internal static class BodyLoader
{
    public static async Task<(string? Text, string? Html)> LoadAsync(IMailFolder folder, IMessageSummary summary, CancellationToken cancellationToken)
    {
        var text = summary.TextBody is { } textPart ? await ReadAsync(folder, summary.UniqueId, textPart, cancellationToken) : null;
        var html = summary.HtmlBody is { } htmlPart ? await ReadAsync(folder, summary.UniqueId, htmlPart, cancellationToken) : null;
        return (text, html);
    }

    private static async Task<string?> ReadAsync(IMailFolder folder, UniqueId uid, BodyPartText part, CancellationToken cancellationToken)
    {
        var entity = await folder.GetBodyPartAsync(uid, part, cancellationToken);
        // TextPart decodes the transfer encoding and the declared charset.
        return entity is TextPart text ? text.Text : null;
    }
}

using MailKit;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;
using MimeKit.Utils;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>
/// A part's content exactly as sent: the stored bytes of BODY.PEEK[part], decoded by the transfer encoding BODYSTRUCTURE
/// names (base64, quoted-printable, uuencode read line by line; 7bit, 8bit, binary and unknown ones pass through). Never parsed as MIME, so
/// a malformed part header cannot fail the download, and an embedded message comes back byte for byte.
/// </summary>
internal static class PartContent
{
    public static async Task CopyDecodedAsync(IMailFolder folder, UniqueId uid, BodyPartBasic part, Stream destination, CancellationToken cancellationToken)
    {
        await using var source = await folder.GetStreamAsync(uid, Attachments.IdOf(part), cancellationToken);
        await DecodeAsync(source, EncodingOf(part), destination, cancellationToken);
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> with the transfer encoding undone.</summary>
    public static async Task DecodeAsync(Stream source, ContentEncoding encoding, Stream destination, CancellationToken cancellationToken)
    {
        // Not disposed: FilteredStream would dispose the destination with it.
        var decoded = new FilteredStream(destination);
        // uuencode line by line (UuDecodeFilter says why MimeKit's decoder is not used).
        decoded.Add(encoding == ContentEncoding.UUEncode ? new UuDecodeFilter() : DecoderFilter.Create(encoding));
        await source.CopyToAsync(decoded, cancellationToken);
        await decoded.FlushAsync(cancellationToken);
    }

    public static ContentEncoding EncodingOf(BodyPartBasic part) =>
        MimeUtils.TryParse(part.ContentTransferEncoding, out ContentEncoding encoding) ? encoding : ContentEncoding.Default;
}

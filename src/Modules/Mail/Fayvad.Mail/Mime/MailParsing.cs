using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Utils;

namespace Fayvad.Mail.Mime;

/// <summary>How stored mail is read: as leniently as the mail clients people use.</summary>
internal static partial class MailParsing
{
    /// <summary>
    /// 8-bit bytes where the standard allows only ASCII (raw headers, encoded-words in the wrong charset) that are not
    /// valid UTF-8 are read as Windows-1252, the charset such mail was almost always written in.
    /// </summary>
    public static Encoding Fallback { get; } = Windows1252();

    public static ParserOptions Options { get; } = new() { CharsetEncoding = Fallback };

    private static Encoding Windows1252()
    {
        // Static initializers run in order, before any static constructor: register the code pages first.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    }

#pragma warning disable SYSLIB0001 // UTF-7 is unsafe to write, but Outlook 2000 wrote it and it must still be read.
    private static readonly Encoding Utf7 = new UTF7Encoding();
#pragma warning restore SYSLIB0001

    /// <summary>The header fields fetched with every summary, so that subject and sender are decoded from their bytes.</summary>
    public static readonly HeaderId[] DecodedHeaders = [HeaderId.Subject, HeaderId.From, HeaderId.Sender, HeaderId.Date];

    /// <summary>Dovecot's stand-ins in an ENVELOPE for what a header lacked (RFC 3501 leaves them to the server).</summary>
    public static bool IsPlaceholder(string? value) =>
        value is not null && (value.Contains("MISSING_MAILBOX", StringComparison.OrdinalIgnoreCase)
                              || value.Contains("MISSING_DOMAIN", StringComparison.OrdinalIgnoreCase)
                              || value.Contains(".SYNTAX-ERROR.", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a whole message, or null when MimeKit cannot (its first line is no header, or worse).</summary>
    public static async Task<MimeMessage?> TryLoadAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            return await MimeMessage.LoadAsync(Options, stream, cancellationToken);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>An unstructured header's text as a reader shows it: unfolded, encoded-words decoded (UTF-7 too), 8-bit bytes by UTF-8 or the fallback.</summary>
    public static string DecodeText(byte[] raw) => Header.Unfold(Rfc2047.DecodeText(Options, WithUtf7Decoded(raw))).Trim();

    /// <summary>The first mailbox of an address header, read from its bytes; null when there is none.</summary>
    public static MailboxAddress? FirstMailbox(byte[] raw) =>
        InternetAddressList.TryParse(Options, WithUtf7Decoded(raw), out var list)
            ? list.Mailboxes.FirstOrDefault(m => !string.IsNullOrEmpty(m.Address) && !IsPlaceholder(m.Address))
            : null;

    /// <summary>A Date header read as mail clients read it, named zones (EST, cst, PDT) included.</summary>
    public static DateTimeOffset? ParseDate(byte[] raw)
    {
        // MimeKit knows the zone names in capitals only; mailers also write "cst" or "Est".
        var text = TrailingZone().Replace(Encoding.Latin1.GetString(raw), m => m.Value.ToUpperInvariant());
        var bytes = Encoding.Latin1.GetBytes(text);
        return DateUtils.TryParse(bytes, 0, bytes.Length, out var date) ? date : null;
    }

    [GeneratedRegex(@"(?<=\d\d\s+)[A-Za-z]{1,5}(?=\s*(\(.*\))?\s*$)")]
    private static partial Regex TrailingZone();

    /// <summary>A text part's text; a charset .NET will not give out (UTF-7) is decoded here.</summary>
    public static string Text(TextPart part) =>
        string.Equals(part.ContentType.Charset, "utf-7", StringComparison.OrdinalIgnoreCase) ? part.GetText(Utf7) : part.Text;

    /// <summary>
    /// Decoded content bytes as text in the declared charset. Without one, or with us-ascii (RFC 2045's default, which
    /// real mail stretches), or one .NET does not know: UTF-8 when the bytes are, else the fallback.
    /// </summary>
    public static string Text(byte[] bytes, string? charset)
    {
        if (EncodingOf(charset) is { } declared)
        {
            return declared.GetString(bytes);
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Fallback.GetString(bytes);
        }
    }

    /// <summary>The declared charset's encoding (UTF-7 too); null without one, for us-ascii, and for one .NET does not know.</summary>
    public static Encoding? EncodingOf(string? charset)
    {
        var name = charset?.Trim().Trim('"');
        if (string.IsNullOrEmpty(name) || IsAscii(name))
        {
            return null;
        }

        if (string.Equals(name, "utf-7", StringComparison.OrdinalIgnoreCase))
        {
            return Utf7;
        }

        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

    private static bool IsAscii(string charset) =>
        charset.Trim().ToLowerInvariant() is "us-ascii" or "ascii" or "ansi_x3.4-1968" or "iso646-us" or "us";

    /// <summary>Encoded-words in UTF-7, which MimeKit cannot decode on .NET, rewritten as UTF-8 ones.</summary>
    private static byte[] WithUtf7Decoded(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw);
        if (!text.Contains("utf-7", StringComparison.OrdinalIgnoreCase))
        {
            return raw;
        }

        var rewritten = Utf7Word().Replace(text, match =>
        {
            var payload = match.Groups["text"].Value;
            byte[] bytes;
            try
            {
                bytes = match.Groups["enc"].Value is "b" or "B"
                    ? Convert.FromBase64String(payload.PadRight((payload.Length + 3) / 4 * 4, '='))
                    : QDecode(payload);
            }
            catch (FormatException)
            {
                return match.Value;
            }

            return "=?utf-8?b?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Utf7.GetString(bytes))) + "?=";
        });
        return Encoding.Latin1.GetBytes(rewritten);
    }

    private static byte[] QDecode(string payload)
    {
        var bytes = new List<byte>(payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            if (payload[i] == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (payload[i] == '=' && i + 2 < payload.Length && Uri.IsHexDigit(payload[i + 1]) && Uri.IsHexDigit(payload[i + 2]))
            {
                bytes.Add(Convert.ToByte(payload.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)payload[i]);
            }
        }

        return bytes.ToArray();
    }

    [GeneratedRegex(@"=\?utf-7(\*[^?]*)?\?(?<enc>[bBqQ])\?(?<text>[^?]*)\?=", RegexOptions.IgnoreCase)]
    private static partial Regex Utf7Word();
}

using System.Text;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace Fayvad.Mail.Tests;

/// <summary>The pure pieces of reading real-world mail: header decoding, dates, placeholders, file names, part decoding.</summary>
public sealed class MailReadingTests
{
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    [Theory]
    [InlineData(" =?utf-7?Q?Die_Hasen_und_die_Fr+APY-sche?=", "Die Hasen und die Frösche")]
    [InlineData(" =?iso-8859-1?Q?Fr\u00f6sche?=", "Frösche")]
    [InlineData(" Gr\u00fc\u00dfe", "Grüße")]
    [InlineData(" Caf\u00c3\u00a9", "Café")]
    [InlineData(" one\r\n two", "one two")]
    public void Header_text_is_decoded_from_its_bytes(string raw, string expected) =>
        Assert.Equal(expected, MailParsing.DecodeText(Latin1(raw)));

    [Fact]
    public void A_utf7_word_in_base64_is_decoded_twice_over()
    {
        // "J+APw-rgen" is UTF-7 for "Jürgen"; base64 of those ASCII bytes is what Outlook 2000 wrote.
        var word = " =?utf-7?B?" + Convert.ToBase64String(Encoding.ASCII.GetBytes("J+APw-rgen")) + "?=";
        Assert.Equal("Jürgen", MailParsing.DecodeText(Latin1(word)));
    }

    [Theory]
    [InlineData(" Tue, 3 Nov 2026 08:00:00 cst", "2026-11-03T14:00:00Z")]
    [InlineData(" Tue, 3 Nov 2026 08:00:00 EST", "2026-11-03T13:00:00Z")]
    [InlineData(" Tue, 3 Nov 2026 08:00:00 pdt (Pacific)", "2026-11-03T15:00:00Z")]
    [InlineData(" Tue, 3 Nov 2026 08:00:00 +0100", "2026-11-03T07:00:00Z")]
    public void Dates_with_named_zones_keep_their_offset(string raw, string utc) =>
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), MailParsing.ParseDate(Latin1(raw))!.Value.ToUniversalTime());

    [Theory]
    [InlineData("MISSING_MAILBOX@MISSING_DOMAIN", true)]
    [InlineData("someone@MISSING_DOMAIN", true)]
    [InlineData("x@.SYNTAX-ERROR.", true)]
    [InlineData("jane@example.com", false)]
    public void Dovecot_placeholders_are_recognized(string address, bool placeholder) =>
        Assert.Equal(placeholder, MailParsing.IsPlaceholder(address));

    [Fact]
    public void The_first_mailbox_skips_placeholders_and_groups()
    {
        Assert.Null(MailParsing.FirstMailbox(Latin1(" undisclosed-recipients:;")));
        Assert.Equal("b@example.com", MailParsing.FirstMailbox(Latin1(" team: ; Bob <b@example.com>"))!.Address);
        Assert.Equal("Jürgen", MailParsing.FirstMailbox(Latin1(" =?utf-7?Q?J+APw-rgen?= <j@example.com>"))!.Name);
    }

    [Theory]
    [InlineData("../../x.txt", "x.txt")]
    [InlineData("C:\\Users\\me\\report.pdf", "report.pdf")]
    [InlineData("/evil/because:ofpath3d-compress.gif", "because:ofpath3d-compress.gif")]
    [InlineData("line\r\nbreak.txt", "linebreak.txt")]
    [InlineData("tab\there\u0000.txt", "tabhere.txt")]
    [InlineData(".hidden", "hidden")]
    [InlineData("../", "")]
    [InlineData("  ", "")]
    [InlineData(null, "")]
    public void File_names_are_made_safe(string? name, string expected) =>
        Assert.Equal(expected, Attachments.SafeFileName(name));

    [Theory]
    [InlineData("base64", "aGVsbG8gd29ybGQ=\r\n", "hello world")]
    [InlineData("quoted-printable", "caf=C3=A9=\r\n au lait\r\n", "café au lait\r\n")]
    [InlineData("x-uuencode", "begin 644 a.txt\r\n+:&5L;&\\@=V]R;&0`\r\n`\r\nend\r\n", "hello world")]
    [InlineData("7bit", "as is\r\n", "as is\r\n")]
    [InlineData("x-unknown", "as is\r\n", "as is\r\n")]
    public void Transfer_encodings_decode_byte_exact(string encoding, string stored, string expected)
    {
        var parsed = MimeKit.Utils.MimeUtils.TryParse(encoding, out ContentEncoding e) ? e : ContentEncoding.Default;
        using var output = new MemoryStream();
        var filtered = new FilteredStream(output);
        filtered.Add(DecoderFilter.Create(parsed));
        var bytes = Encoding.UTF8.GetBytes(stored);
        filtered.Write(bytes, 0, bytes.Length, TestContext.Current.CancellationToken);
        filtered.Flush(TestContext.Current.CancellationToken);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.ToArray()));
    }
}

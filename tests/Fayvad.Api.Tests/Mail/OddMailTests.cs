using System.Net;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// Shapes of real mail the public suites lack (a 200 KB header, a leading blank line, Dovecot's placeholders, a named
/// time zone), built here byte by byte and appended as they are: one never breaks its page, its detail or its source.
/// </summary>
public sealed class OddMailTests(ApiFactory factory) : MailTest(factory)
{
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text.ReplaceLineEndings("\r\n"));

    [Fact]
    public async Task A_message_with_a_200_KB_header_lists_opens_and_downloads_beside_ordinary_ones()
    {
        var box = await MailboxAsync();
        var huge = new StringBuilder("X-Huge: start");
        for (var i = 0; huge.Length < 200 * 1024; i++)
        {
            huge.Append($"\r\n word{i:D6} filler filler filler filler filler filler");
        }

        var hugeMessage = Bytes($"From: Big <big@example.com>\nTo: {box.Address}\nSubject: huge header\n{huge}\nDate: Sun, 29 Nov 2026 10:00:00 +0000\n\nbody of the huge one\n");
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [
                Bytes($"From: a@example.com\nTo: {box.Address}\nSubject: before\n\nfirst\n"),
                hugeMessage,
                Bytes($"From: c@example.com\nTo: {box.Address}\nSubject: long {new string('s', 200 * 1024)}\n\nlong subject\n"),
                Bytes($"From: d@example.com\nTo: {box.Address}\nX-One-Line: {new string('x', 200 * 1024)}\nSubject: one line\n\nlong line\n"),
                Bytes($"From: b@example.com\nTo: {box.Address}\nSubject: after\n\nlast\n"),
            ], Ct);
        }

        foreach (var fields in new[] { "", "&fields=summary" })
        {
            var list = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&limit=50{fields}", Ct), HttpStatusCode.OK);
            Assert.Equal(["after", "one line", "long", "huge header", "before"], list.GetProperty("messages").EnumerateArray().Select(m => MailKitTestKit.Subject(m).Split(' ')[0] == "long" ? "long" : MailKitTestKit.Subject(m)));
        }

        var list2 = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        var hugeOne = list2.Single(m => MailKitTestKit.Subject(m) == "huge header");
        Assert.Equal("big@example.com", hugeOne.GetProperty("sender").GetString());
        Assert.Contains("body of the huge one", hugeOne.GetProperty("body_text").GetString());
        var id = Uri.EscapeDataString(hugeOne.GetProperty("id").GetString()!);
        var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal("huge header", detail.GetProperty("subject").GetString());
        var raw = await box.Client.GetAsync($"{Root}/email/messages/{id}/raw/", Ct);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(hugeMessage, await raw.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task A_message_MimeKit_cannot_parse_is_listed_and_opened_with_parse_error_and_its_source_downloads()
    {
        var box = await MailboxAsync();
        // A file that is no mail at all: its first line is no header, so MimeKit refuses it.
        var blank = Bytes($"This is a plain text file, sent as it is.\nSecond line.\n");
        // A leading blank line: the header ends before it starts.
        var leadingBlank = Bytes($"\nFrom: y@example.com\nSubject: after a blank line\n\nthe text\n");
        var fine = Bytes($"From: ok@example.com\nTo: {box.Address}\nSubject: fine\n\nfine text\n");
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [leadingBlank, blank, fine], Ct);
        }

        var list = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        Assert.Equal(3, list.Count);
        var good = list.Single(m => MailKitTestKit.Subject(m) == "fine");
        Assert.False(good.TryGetProperty("parse_error", out _));
        Assert.Contains("fine text", good.GetProperty("body_text").GetString());
        foreach (var message in list)
        {
            var path = $"{Root}/email/messages/{Uri.EscapeDataString(message.GetProperty("id").GetString()!)}";
            await TestApi.ReadAsync(await box.Client.GetAsync(path + "/", Ct), HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.OK, (await box.Client.GetAsync(path + "/raw/", Ct)).StatusCode);
        }

        var odd = list.Single(m => m.TryGetProperty("parse_error", out var flag) && flag.GetBoolean());
        var id = Uri.EscapeDataString(odd.GetProperty("id").GetString()!);
        var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.True, detail.GetProperty("parse_error").ValueKind);
        var raw = await box.Client.GetAsync($"{Root}/email/messages/{id}/raw/", Ct);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(blank, await raw.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Headers_are_decoded_as_mail_clients_do_and_server_placeholders_never_show()
    {
        var box = await MailboxAsync();
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [
                // Dovecot's ENVELOPE says MISSING_DOMAIN / MISSING_MAILBOX for these.
                Bytes($"From: undisclosed-recipients:;\nTo: someone, {box.Address}\nSubject: placeholders\nDate: Tue, 3 Nov 2026 08:00:00 cst\n\nx\n"),
                // Raw 8-bit bytes inside encoded-words (read in the word's charset), a UTF-7 word, and 8-bit Latin-1 outside any word.
                Bytes("From: =?iso-8859-1?Q?J\u00fcrgen?= <j@example.com>\nSubject: =?iso-8859-1?Q?Gr\u00fc\u00dfe?= and =?utf-7?Q?Fr+APY-sche?= f\u00fcr dich\n\nx\n"),
            ], Ct);
        }

        var list = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        var placeholders = list.Single(m => MailKitTestKit.Subject(m) == "placeholders");
        Assert.Equal("", placeholders.GetProperty("sender").GetString());
        var to = placeholders.GetProperty("to_recipients").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(box.Address, to);
        Assert.DoesNotContain(to, a => a.Contains("MISSING", StringComparison.OrdinalIgnoreCase) || a.Contains("SYNTAX-ERROR", StringComparison.OrdinalIgnoreCase));
        // cst is UTC-6: 08:00 there is 14:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 14, 0, 0, TimeSpan.Zero), placeholders.GetProperty("date_sent").GetDateTimeOffset());

        var decoded = list.Single(m => MailKitTestKit.Subject(m) != "placeholders");
        Assert.Equal("Grüße and Frösche für dich", decoded.GetProperty("subject").GetString());
        Assert.Equal("Jürgen", decoded.GetProperty("sender_name").GetString());
    }

    [Fact]
    public async Task Raw_source_keeps_nul_bytes_and_8_bit_bytes_exactly_as_appended()
    {
        var box = await MailboxAsync();
        byte[] Join(params object[] pieces) => [.. pieces.SelectMany(p => p is string t ? Encoding.Latin1.GetBytes(t) : (byte[])p)];
        var messages = new[]
        {
            // One part, no transfer encoding: NULs beside 0x80 and UTF-8 (whose bytes include 0x80 too).
            Join($"From: a@example.com\r\nTo: {box.Address}\r\nSubject: nul single\r\n\r\nbefore", new byte[] { 0, 0x80, 0 }, "after caf", new byte[] { 0xC3, 0xA9, 0xE2, 0x82, 0xAC }, "\r\n"),
            // A base64 part (which BINARY[] would decode) beside a binary part holding NULs.
            Join($"From: b@example.com\r\nTo: {box.Address}\r\nSubject: nul multipart\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n",
                "--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gwoA=\r\n",
                "--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nbin", new byte[] { 0, 0x80, 0x80, 0 }, "ary\r\n--XX--\r\n"),
            // 8-bit text with 0x80 and no NUL at all: served as it is.
            Join($"From: c@example.com\r\nTo: {box.Address}\r\nSubject: eight bit\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\nprice ", new byte[] { 0x80 }, " 5\r\n"),
        };
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", messages, Ct);
        }

        var listed = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.Equal(3, listed.Count);
        foreach (var (message, appended) in listed.AsEnumerable().Reverse().Zip(messages))
        {
            var raw = await box.Client.GetAsync($"{Root}/email/messages/{Uri.EscapeDataString(message.GetProperty("id").GetString()!)}/raw/", Ct);
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal(Convert.ToHexString(appended), Convert.ToHexString(await raw.Content.ReadAsByteArrayAsync(Ct)));
        }
    }
}

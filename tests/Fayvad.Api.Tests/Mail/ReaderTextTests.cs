using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// The text a reader sees, where mail clients and Python's `email` show text (issue 19): a body over the size limit
/// comes back as its start with <c>body_truncated</c>, parts with a missing or broken Content-Type read as plain text
/// (RFC 2045 5.2), a multipart's preamble when it holds the only text, a uuencoded file whole, and attachments whose
/// type is barren or that are whole messages listed. In the list with bodies and in the detail alike.
/// </summary>
public sealed class ReaderTextTests(ApiFactory factory) : MailTest(factory)
{
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text.ReplaceLineEndings("\r\n"));

    private static byte[] Corpus(string name) => File.ReadAllBytes(Path.Combine(CorpusTests.CorpusFolder(), name));

    /// <summary>Every message of INBOX as the list with bodies shows it and as its detail shows it, by subject.</summary>
    private async Task<List<(string Subject, JsonElement Listed, JsonElement Detail)>> ReadAllAsync(Mailbox box)
    {
        var listed = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        var result = new List<(string, JsonElement, JsonElement)>();
        foreach (var message in listed)
        {
            var id = Uri.EscapeDataString(message.GetProperty("id").GetString()!);
            var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
            result.Add((MailKitTestKit.Subject(message), message, detail));
        }

        return result;
    }

    private static string Id(JsonElement message) => Uri.EscapeDataString(message.GetProperty("id").GetString()!);

    [Fact]
    public async Task A_body_over_the_size_limit_comes_back_as_its_start_marked_truncated_and_whole_from_the_body_endpoint()
    {
        var box = await MailboxAsync();
        // nodemailer's fixtures (MIT): a 1.1 MB plain-text bug-list mail and a 1.1 MB html page.
        var digest = Corpus("nodemailer-mailparser/test__fixtures__large_text.eml");
        var page = Corpus("nodemailer-mailparser/test__fixtures__outofmemory.eml");
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [digest, page, Bytes("From: s@example.com\nSubject: small\n\nsmall text\n")], Ct);
        }

        // What a reader of the digest sees: its body as served (lines end CRLF), us-ascii 7bit.
        var served = Encoding.ASCII.GetString(digest).ReplaceLineEndings("\r\n");
        var digestText = served[(served.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.True(digestText.Length > 1_100_000);
        foreach (var (subject, listed, detail) in await ReadAllAsync(box))
        {
            foreach (var view in new[] { listed, detail })
            {
                if (subject == "small")
                {
                    Assert.False(view.GetProperty("body_truncated").GetBoolean());
                    Assert.Equal("small text", view.GetProperty("body_text").GetString()!.Trim());
                }
                else if (subject.StartsWith("[Bug 381598]", StringComparison.Ordinal))
                {
                    var text = view.GetProperty("body_text").GetString()!;
                    Assert.True(view.GetProperty("body_truncated").GetBoolean());
                    Assert.StartsWith("Exception during installation:", text, StringComparison.Ordinal);
                    Assert.True(text.Length >= 100_000 && text.Length < digestText.Length, $"{text.Length} characters");
                    Assert.StartsWith(text, digestText, StringComparison.Ordinal);
                }
                else
                {
                    Assert.True(view.GetProperty("body_truncated").GetBoolean(), subject);
                    Assert.Contains("$1 million in Life Insurance Coverage", view.GetProperty("body_html").GetString(), StringComparison.Ordinal);
                }
            }

            // The whole text, decoded, from the body endpoint.
            var body = await box.Client.GetAsync($"{Root}/email/messages/{Id(listed)}/body/", Ct);
            Assert.Equal(HttpStatusCode.OK, body.StatusCode);
            Assert.Equal("text/plain", body.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", body.Content.Headers.ContentType?.CharSet);
            Assert.Contains("nosniff", body.Headers.GetValues("X-Content-Type-Options"));
            var whole = await body.Content.ReadAsStringAsync(Ct);
            if (subject.StartsWith("[Bug 381598]", StringComparison.Ordinal))
            {
                Assert.Equal(digestText, whole);
            }
            else if (subject == "small")
            {
                Assert.Equal("small text", whole.Trim());
            }
            else
            {
                Assert.Contains("$1 million in Life Insurance Coverage", whole, StringComparison.Ordinal);
                Assert.True(whole.Length > 1_000_000);
            }
        }

        var summary = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(summary, m => Assert.False(m.GetProperty("body_truncated").GetBoolean()));
    }

    [Fact]
    public async Task Parts_with_a_missing_empty_garbled_or_subtype_less_content_type_are_read_as_plain_text()
    {
        var box = await MailboxAsync();
        string Multipart(string subject, string partHeader, string text) =>
            $"From: a@example.com\nSubject: {subject}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\n{partHeader}\n\ntext of {text}\n--XX--\n";
        string Single(string subject, string header, string text) =>
            $"From: a@example.com\nSubject: {subject}\nMIME-Version: 1.0\n{header}\n\ntext of {text}\n";
        // Large enough to be read part by part (over the whole-message fetch size) and cut at the body limit.
        var filler = string.Concat(Enumerable.Range(0, 8000).Select(i => $"line {i:D5} of a long garbled message\n"));
        var messages = new[]
        {
            Multipart("part none", "X-Part: no type", "part none"),
            Multipart("part empty", "Content-Type: ", "part empty"),
            Multipart("part nosub", "Content-Type: text", "part nosub"),
            Multipart("part garbled", "Content-Type: garbage;;; ==", "part garbled"),
            Multipart("part slash", "Content-Type: text/", "part slash"),
            Single("whole none", "X-Header: no type", "whole none"),
            Single("whole empty", "Content-Type: ", "whole empty"),
            Single("whole nosub", "Content-Type: text", "whole nosub"),
            Single("whole garbled", "Content-Type: ;;;", "whole garbled"),
            Single("big garbled", "Content-Type: ;;;", "big garbled\n" + filler),
        };
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", messages.Select(Bytes).ToList(), Ct);
        }

        var read = await ReadAllAsync(box);
        Assert.Equal(messages.Length, read.Count);
        foreach (var (subject, listed, detail) in read)
        {
            foreach (var view in new[] { listed, detail })
            {
                Assert.StartsWith($"text of {subject}", view.GetProperty("body_text").GetString(), StringComparison.Ordinal);
            }

            // The text is the body, not a file beside it.
            Assert.Empty(detail.GetProperty("attachments").EnumerateArray());
        }
    }

    [Fact]
    public async Task A_multipart_whose_only_text_is_its_preamble_shows_the_preamble()
    {
        var box = await MailboxAsync();
        string Message(string subject, string body) =>
            $"From: a@example.com\nSubject: {subject}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n{body}";
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [
                Bytes(Message("preamble only", "Only a preamble here.\nSecond line.\n--XX--\n")),
                Bytes(Message("no boundary", "A multipart whose boundary never comes: all of this is text.\n")),
                Bytes(Message("empty", "")),
            ], Ct);
        }

        var read = await ReadAllAsync(box);
        Assert.Equal(3, read.Count);
        foreach (var (subject, listed, detail) in read)
        {
            foreach (var view in new[] { listed, detail })
            {
                var text = view.GetProperty("body_text").GetString()!;
                switch (subject)
                {
                    case "preamble only":
                        Assert.Equal("Only a preamble here.\r\nSecond line.", text.Trim());
                        break;
                    case "no boundary":
                        Assert.Equal("A multipart whose boundary never comes: all of this is text.", text.Trim());
                        break;
                    default:
                        Assert.Equal("", text);
                        break;
                }
            }
        }
    }

    [Fact]
    public async Task A_uuencoded_zip_downloads_byte_exact()
    {
        var box = await MailboxAsync();
        // SpamScope mail-parser's mail_test_15 (Apache-2.0): a 251,141-byte zip as x-uuencode, some of whose lines lost
        // their trailing spaces on the way.
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [Corpus("spamscope-mail-parser/tests__mails__mail_test_15")], Ct);
        }

        var (_, _, detail) = (await ReadAllAsync(box)).Single();
        var zip = detail.GetProperty("attachments").EnumerateArray().Single();
        Assert.Equal("REQUEST FOR QUOTE.zip", zip.GetProperty("filename").GetString());
        var download = await box.Client.GetAsync($"{Root}/email/messages/{Id(detail)}/attachments/{zip.GetProperty("id").GetString()}/", Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var bytes = await download.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(251_141, bytes.Length);
        // The archive's directory sits at its end: it reads only when every line before it was decoded in place.
        using var archive = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var entry = Assert.Single(archive.Entries);
        await using var content = entry.Open();
        var length = 0L;
        var buffer = new byte[81920];
        for (int n; (n = await content.ReadAsync(buffer, Ct)) > 0;)
        {
            length += n;
        }

        Assert.Equal(entry.Length, length);
    }

    [Fact]
    public async Task An_attached_message_beside_a_content_length_header_and_a_part_with_a_barren_content_type_are_attachments()
    {
        var box = await MailboxAsync();
        var inner = "From: b@example.com\r\nSubject: inner\r\n\r\ninner body\r\n";
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [
                Bytes($"From: a@example.com\nSubject: attached message\nContent-Length: 200\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
                    + $"--XX\nContent-Type: text/plain\n\nsee the attached message\n--XX\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n{inner}--XX--\n"),
                Bytes("From: a@example.com\nSubject: barren type\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
                    + "--XX\nContent-Type: text/plain\n\nsee the file\n--XX\nContent-Type: \nContent-Disposition: attachment; filename=data.bin\n\nfile bytes\n--XX--\n"),
                Bytes("From: a@example.com\nSubject: type without subtype\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
                    + "--XX\nContent-Type: text/plain\n\nsee the file\n--XX\nContent-Type: application\nContent-Disposition: attachment\n\nmore bytes\n--XX--\n"),
                // A file sent as the whole message, its type barren.
                Bytes("From: a@example.com\nSubject: barren whole\nMIME-Version: 1.0\nContent-Type:\nContent-Disposition: attachment; filename=whole.bin\n\nwhole bytes\n"),
            ], Ct);
        }

        var read = await ReadAllAsync(box);
        Assert.Equal(4, read.Count);
        foreach (var (subject, listed, detail) in read)
        {
            var whole = subject == "barren whole";
            Assert.True(listed.GetProperty("has_attachments").GetBoolean(), subject);
            if (!whole)
            {
                Assert.StartsWith("see the", detail.GetProperty("body_text").GetString(), StringComparison.Ordinal);
            }

            var attachment = Assert.Single(detail.GetProperty("attachments").EnumerateArray());
            var part = whole ? "1" : "2";
            Assert.Equal(part, attachment.GetProperty("id").GetString());
            var download = await box.Client.GetAsync($"{Root}/email/messages/{Id(detail)}/attachments/{part}/", Ct);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            var bytes = await download.Content.ReadAsStringAsync(Ct);
            Assert.Equal(subject switch
            {
                "attached message" => inner[..^2],
                "barren type" => "file bytes",
                "barren whole" => "whole bytes\r\n",
                _ => "more bytes",
            }, bytes);
        }
    }

    /// <summary>
    /// MimeKit's content-length.mbox.txt, first message (MIT): <c>Content-Type: multipart/mixed;;</c> then the boundary on
    /// the next line. Dovecot drops the boundary after the empty parameter, so its BODYSTRUCTURE has no part for the
    /// attached message; the structure comes from MimeKit reading the source instead, in the list, the detail and the
    /// download alike. Beside it, the same header shape around a part whose garbled type has Content-Disposition: attachment.
    /// </summary>
    [Fact]
    public async Task A_message_whose_boundary_the_server_drops_lists_opens_and_downloads_its_parts_as_mimekit_reads_the_source()
    {
        var box = await MailboxAsync();
        var mbox = Encoding.Latin1.GetString(Corpus("mimekit/UnitTests__TestData__mbox__content-length.mbox.txt"));
        var first = mbox[(mbox.IndexOf('\n') + 1)..mbox.IndexOf("\nFrom - ", StringComparison.Ordinal)];
        var attached = first[first.IndexOf("Received: from hedgehog", StringComparison.Ordinal)..first.IndexOf("\n--=====", first.IndexOf("Netscape Communications   ", StringComparison.Ordinal), StringComparison.Ordinal)];
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [
                Bytes(first + "\n"),
                Bytes("From: a@example.com\nSubject: garbled file\nMIME-Version: 1.0\nContent-Type: multipart/mixed;;\n boundary=\"XX\"\n\n"
                    + "--XX\nContent-Type: text/plain\n\nsee the garbled file\n--XX\nContent-Type: garbage;;; ==\nContent-Disposition: attachment; filename=g.bin\n\ngarbled bytes\n--XX--\n"),
            ], Ct);
        }

        var summary = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(summary, m => Assert.True(m.GetProperty("has_attachments").GetBoolean(), MailKitTestKit.Subject(m)));
        var read = await ReadAllAsync(box);
        Assert.Equal(2, read.Count);
        foreach (var (subject, listed, detail) in read)
        {
            var netscape = subject.StartsWith("Re: mailusr1", StringComparison.Ordinal);
            foreach (var view in new[] { listed, detail })
            {
                Assert.True(view.GetProperty("has_attachments").GetBoolean(), subject);
                var text = view.GetProperty("body_text").GetString()!;
                // Its first part's text, not the whole MIME text the server's one text part holds.
                Assert.Equal(netscape ? "default echo 1\ndefault echo 2\ndefault echo 3\ndefault echo 4\ndefault echo 5" : "see the garbled file", text.ReplaceLineEndings("\n").Trim());
                Assert.False(view.TryGetProperty("parse_error", out _), subject);
            }

            var attachment = Assert.Single(detail.GetProperty("attachments").EnumerateArray());
            Assert.Equal("2", attachment.GetProperty("id").GetString());
            Assert.Equal(netscape ? "message.eml" : "g.bin", attachment.GetProperty("filename").GetString());
            Assert.Equal(netscape ? "message/rfc822" : "application/octet-stream", attachment.GetProperty("content_type").GetString());
            Assert.False(attachment.GetProperty("inline").GetBoolean());
            var download = await box.Client.GetAsync($"{Root}/email/messages/{Id(detail)}/attachments/2/", Ct);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            var bytes = await download.Content.ReadAsByteArrayAsync(Ct);
            Assert.Equal(netscape ? attached.ReplaceLineEndings("\r\n") : "garbled bytes", Encoding.Latin1.GetString(bytes));
            Assert.Equal(bytes.Length, attachment.GetProperty("size_bytes").GetInt64());
            Assert.Equal(HttpStatusCode.NotFound, (await box.Client.GetAsync($"{Root}/email/messages/{Id(detail)}/attachments/3/", Ct)).StatusCode);
            // The body endpoint reads the same text.
            var whole = await box.Client.GetAsync($"{Root}/email/messages/{Id(detail)}/body/", Ct);
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.StartsWith(netscape ? "default echo 1" : "see the garbled file", await whole.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }
}

using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using MimeKit;

namespace Fayvad.Api.Tests.Mail;

public sealed class ReadingTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Folders_list_inbox_and_special_folders_first_with_counts_from_one_listing()
    {
        var box = await MailboxAsync();
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            var root = imap.GetFolder(imap.PersonalNamespaces[0]);
            var projects = await root.CreateAsync("Projects", false, Ct);
            await projects!.CreateAsync("2025", true, Ct);
        }

        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [
            MailKitTestKit.Message("a@example.com", box.Address, "one", "x"),
            MailKitTestKit.Message("a@example.com", box.Address, "two", "x"),
        ], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "seen", "x")], Ct, MailKit.MessageFlags.Seen);

        var folders = (await Wire.ReadAsync<FolderList>(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK)).Folders;
        Assert.Equal(["INBOX", "Sent", "Drafts", "Trash", "Junk"], folders.Take(5).Select(f => f.Id));
        Assert.Equal(["inbox", "sent", "drafts", "trash", "junk"], folders.Take(5).Select(f => f.Role));
        var inbox = folders[0];
        Assert.Equal(("Inbox", 3, 2), (inbox.Name, inbox.TotalCount, inbox.UnreadCount));

        var nested = folders.Single(f => f.Id == "Projects/2025");
        Assert.Equal(("2025", "Projects", null, "other"), (nested.Name, nested.Parent, nested.Role, nested.Type));
    }

    [Fact]
    public async Task Messages_list_newest_first_with_the_seed_fields_and_never_marks_read()
    {
        var box = await MailboxAsync();
        var older = MailKitTestKit.Message("Alice Example <alice@example.com>", box.Address, "older", "first body");
        older.Cc.Add(MailboxAddress.Parse("carol@example.com"));
        await MailKitTestKit.DeliverAsync(older, Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "older", Ct);
        var newer = MailKitTestKit.Message("bob@example.com", box.Address, "newer", "second body", "<p>second <b>html</b></p>");
        await MailKitTestKit.DeliverAsync(newer, Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "newer", Ct);

        var response = await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&limit=50&page=1", Ct);
        var raw = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        var list = raw.Deserialize<MessagePage>(Wire.Options)!;
        Assert.Equal((2, false, false), (list.Total, list.HasNext, list.HasPrev));
        Assert.Equal(["newer", "older"], list.Messages.Select(m => m.Subject));

        // The seed's fields, and body_truncated (issue 19): exactly these, no more.
        string[] seedFields = ["id", "subject", "sender", "sender_name", "from_display", "to_recipients", "cc_recipients", "bcc_recipients",
            "date_received", "date_sent", "is_read", "is_starred", "has_attachments", "size_bytes", "body_text", "body_html", "snippet",
            "folder", "message_id", "uid", "body_truncated"];
        Assert.Equal(seedFields.Order(), raw.GetProperty("messages")[1].EnumerateObject().Select(p => p.Name).Order());
        var first = list.Messages[1];
        Assert.Equal(("alice@example.com", "Alice Example", "Alice Example <alice@example.com>"), (first.Sender, first.SenderName, first.FromDisplay));
        Assert.Equal([box.Address], first.ToRecipients);
        Assert.Equal(["carol@example.com"], first.CcRecipients);
        Assert.EndsWith("Z", first.DateReceived, StringComparison.Ordinal);
        Assert.EndsWith("Z", first.DateSent, StringComparison.Ordinal);
        Assert.False(first.IsRead);
        Assert.Contains("first body", first.BodyText, StringComparison.Ordinal);
        Assert.StartsWith("first body", first.Snippet, StringComparison.Ordinal);
        Assert.Equal(("INBOX", $"<{older.MessageId}>"), (first.Folder, first.MessageId));
        Assert.True(first.Uid > 0);
        Assert.True(first.SizeBytes > 100);
        Assert.Contains("<b>html</b>", list.Messages[0].BodyHtml, StringComparison.Ordinal);

        // Listing (with bodies) read nothing as seen.
        var again = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        Assert.All(again, m => Assert.False(m.GetProperty("is_read").GetBoolean()));

        // Without bodies, body_text is "" (never null: the client lowercases it) and body_html null.
        var summary = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(summary, m => Assert.Equal("", m.GetProperty("body_text").GetString()));
        var fields = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&fields=summary");
        Assert.All(fields, m => Assert.Equal(JsonValueKind.Null, m.GetProperty("body_html").ValueKind));
    }

    [Theory]
    [InlineData("folder=INBOX&limit=201", HttpStatusCode.BadRequest, "limit")]
    [InlineData("folder=INBOX&limit=0", HttpStatusCode.BadRequest, "limit")]
    [InlineData("folder=INBOX&page=0", HttpStatusCode.BadRequest, "page")]
    [InlineData("folder=INBOX&page=x", HttpStatusCode.BadRequest, "page")]
    [InlineData("folder=NoSuchFolder", HttpStatusCode.NotFound, "NoSuchFolder")]
    public async Task Bad_listing_requests_are_refused(string query, HttpStatusCode status, string mentions)
    {
        var box = await MailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/?{query}", Ct), status, mentions);
    }

    [Fact]
    public async Task Paging_a_folder_of_hundreds_of_messages()
    {
        var box = await MailboxAsync();
        var messages = Enumerable.Range(0, 300)
            .Select(i => MailKitTestKit.Message("bulk@example.com", box.Address, $"bulk {i:D3}", $"message {i}"))
            .ToList();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", messages, Ct);

        var page1 = await PageAsync(1);
        var page3 = await PageAsync(3);
        var page4 = await PageAsync(4);

        Assert.Equal((300, true, false, 120), (page1.Total, page1.HasNext, page1.HasPrev, page1.Messages.Count));
        Assert.Equal("bulk 299", page1.Messages[0].Subject);
        Assert.Equal((60, false, true), (page3.Messages.Count, page3.HasNext, page3.HasPrev));
        Assert.Equal("bulk 000", page3.Messages[59].Subject);
        Assert.Empty(page4.Messages);

        async Task<MessagePage> PageAsync(int page) => await Wire.ReadAsync<MessagePage>(
            await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&limit=120&page={page}&include_body=false", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task One_message_has_reply_headers_attachments_and_safe_html_and_is_read_only_when_asked()
    {
        var box = await MailboxAsync();
        const string hostileHtml = "<p onclick=\"x()\">Hello<script>alert(1)</script><img src=\"cid:logo@test\"><img src=\"https://tracker.example/t.gif\"></p>";
        var message = MailKitTestKit.Message("Sender <sender@example.com>", box.Address, "detail", "plain text");
        message.InReplyTo = "earlier@example.com";
        message.References.Add("first@example.com");
        message.References.Add("earlier@example.com");
        message.ReplyTo.Add(MailboxAddress.Parse("replies@example.com"));
        var builder = new BodyBuilder { TextBody = "plain text", HtmlBody = hostileHtml };
        var logo = builder.LinkedResources.Add("logo.png", [0x89, 0x50, 0x4E, 0x47, 1, 2, 3], ContentType.Parse("image/png"));
        logo.ContentId = "logo@test";
        builder.Attachments.Add("report.pdf", "%PDF-1.4 fake"u8.ToArray(), ContentType.Parse("application/pdf"));
        message.Body = builder.ToMessageBody();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [message], Ct);
        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "detail", Ct);
        var id = listed.GetProperty("id").GetString()!;
        Assert.True(listed.GetProperty("has_attachments").GetBoolean());

        var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal("<earlier@example.com>", detail.GetProperty("in_reply_to").GetString());
        Assert.Equal(["<first@example.com>", "<earlier@example.com>"], detail.GetProperty("references").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["replies@example.com"], detail.GetProperty("reply_to").EnumerateArray().Select(e => e.GetString()));
        Assert.False(detail.GetProperty("is_read").GetBoolean());
        var html = detail.GetProperty("body_html").GetString()!;
        Assert.DoesNotContain("script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", html, StringComparison.OrdinalIgnoreCase);
        Assert.True(detail.GetProperty("has_remote_content").GetBoolean());

        var attachments = detail.GetProperty("attachments").EnumerateArray().ToList();
        var pdf = attachments.Single(a => a.GetProperty("filename").GetString() == "report.pdf");
        Assert.Equal("application/pdf", pdf.GetProperty("content_type").GetString());
        Assert.False(pdf.GetProperty("inline").GetBoolean());
        var inline = attachments.Single(a => a.GetProperty("content_id").GetString() == "logo@test");
        Assert.True(inline.GetProperty("inline").GetBoolean());
        var inlineUrl = $"{Root}/email/messages/{id}/attachments/{inline.GetProperty("id").GetString()}/";
        Assert.Contains($"src=\"{inlineUrl}\"", html, StringComparison.Ordinal);

        var file = await box.Client.GetAsync($"{Root}/email/messages/{id}/attachments/{pdf.GetProperty("id").GetString()}/", Ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("application/pdf", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", file.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("report.pdf", file.Content.Headers.ContentDisposition?.FileNameStar ?? file.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("%PDF-1.4 fake"u8.ToArray(), await file.Content.ReadAsByteArrayAsync(Ct));
        var image = await box.Client.GetAsync(inlineUrl, Ct);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 }, await image.Content.ReadAsByteArrayAsync(Ct));

        var raw = await box.Client.GetAsync($"{Root}/email/messages/{id}/raw/", Ct);
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType?.MediaType);
        // A browser must not sniff the stored message (which may hold HTML) into a page of the API's origin.
        Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());
        var parsed = await MimeMessage.LoadAsync(await raw.Content.ReadAsStreamAsync(Ct), Ct);
        Assert.Equal(message.MessageId, parsed.MessageId);

        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/attachments/9.9/", Ct), HttpStatusCode.NotFound);
        Assert.False((await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct)).Single().GetProperty("is_read").GetBoolean());

        var read = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/?mark_read=true", Ct), HttpStatusCode.OK);
        Assert.True(read.GetProperty("is_read").GetBoolean());
        Assert.True((await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct)).Single().GetProperty("is_read").GetBoolean());
    }

    [Fact]
    public async Task Non_ascii_headers_charsets_nested_multiparts_and_attached_messages_parse_right()
    {
        var box = await MailboxAsync();
        var latin = new MimeMessage();
        latin.From.Add(new MailboxAddress("Zoë Ñúñez", "zoe@example.com"));
        latin.To.Add(MailboxAddress.Parse(box.Address));
        latin.Subject = "Café réunion — 会议";
        var latinText = new TextPart("plain");
        latinText.SetText("iso-8859-1", "Prix: 5 € non, 5 £ oui, garçon");
        latin.Body = latinText;

        var cyrillic = new MimeMessage();
        cyrillic.From.Add(MailboxAddress.Parse("ivan@example.com"));
        cyrillic.To.Add(MailboxAddress.Parse(box.Address));
        cyrillic.Subject = "Привет";
        var cyrillicText = new TextPart("plain") { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        cyrillicText.SetText("windows-1251", "Добрый день, коллеги");
        var inner = MailKitTestKit.Message("inner@example.com", box.Address, "the forwarded one", "inner body");
        var alternative = new MultipartAlternative { new TextPart("plain") { Text = "outer text" }, new TextPart("html") { Text = "<p>outer html</p>" } };
        var related = new MultipartRelated { alternative };
        cyrillic.Body = new Multipart("mixed") { related, cyrillicText, new MessagePart { Message = inner } };

        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [latin, cyrillic], Ct);
        var list = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);

        var café = list.Single(m => MailKitTestKit.Subject(m) == "Café réunion — 会议");
        Assert.Equal("Zoë Ñúñez", café.GetProperty("sender_name").GetString());
        Assert.Contains("garçon", café.GetProperty("body_text").GetString(), StringComparison.Ordinal);

        var nested = list.Single(m => MailKitTestKit.Subject(m) == "Привет");
        Assert.Equal("outer text", nested.GetProperty("body_text").GetString()!.Trim());
        Assert.Contains("outer html", nested.GetProperty("body_html").GetString(), StringComparison.Ordinal);
        Assert.True(nested.GetProperty("has_attachments").GetBoolean());

        var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{nested.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
        var forwarded = detail.GetProperty("attachments").EnumerateArray().Single(a => a.GetProperty("content_type").GetString() == "message/rfc822");
        var eml = await box.Client.GetAsync($"{Root}/email/messages/{nested.GetProperty("id").GetString()}/attachments/{forwarded.GetProperty("id").GetString()}/", Ct);
        var innerParsed = await MimeMessage.LoadAsync(await eml.Content.ReadAsStreamAsync(Ct), Ct);
        Assert.Equal("the forwarded one", innerParsed.Subject);
        var cp1251 = detail.GetProperty("attachments").EnumerateArray().Single(a => a.GetProperty("content_type").GetString() == "text/plain");
        var text = await box.Client.GetAsync($"{Root}/email/messages/{nested.GetProperty("id").GetString()}/attachments/{cp1251.GetProperty("id").GetString()}/", Ct);
        var bytes = await text.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal("Добрый день, коллеги", System.Text.Encoding.GetEncoding(1251).GetString(bytes));
    }

    [Fact]
    public async Task Listing_with_bodies_reads_small_and_large_messages_alike()
    {
        var box = await MailboxAsync();
        var big = new MimePart("application", "octet-stream")
        {
            FileName = "big.bin",
            Content = new MimeContent(new MemoryStream(System.Security.Cryptography.RandomNumberGenerator.GetBytes(400_000))),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        await MailKitTestKit.AppendAsync(box.Address, "INBOX",
        [
            MailKitTestKit.Message("a@example.com", box.Address, "small one", "small text", "<p>small html</p>"),
            MailKitTestKit.Message("b@example.com", box.Address, "large one", "large text", "<p>large html</p>", big),
            MailKitTestKit.Message("c@example.com", box.Address, "text only", "only text"),
        ], Ct);

        var list = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        var large = list.Single(m => MailKitTestKit.Subject(m) == "large one");
        Assert.True(large.GetProperty("size_bytes").GetInt64() > 400_000);
        foreach (var (subject, text, html) in new[] { ("small one", "small text", "small html"), ("large one", "large text", "large html"), ("text only", "only text", null) })
        {
            var listed = list.Single(m => MailKitTestKit.Subject(m) == subject);
            Assert.Equal(text, listed.GetProperty("body_text").GetString()!.Trim());
            if (html is null)
            {
                Assert.Equal(JsonValueKind.Null, listed.GetProperty("body_html").ValueKind);
            }
            else
            {
                Assert.Contains(html, listed.GetProperty("body_html").GetString(), StringComparison.Ordinal);
            }

            // The list and the single message agree on the bodies.
            var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
            Assert.Equal(listed.GetProperty("body_text").GetString(), detail.GetProperty("body_text").GetString());
            Assert.Equal(listed.GetProperty("body_html").GetString(), detail.GetProperty("body_html").GetString());
        }

        var summary = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(summary, m => Assert.Equal("", m.GetProperty("body_text").GetString()));
    }

    [Fact]
    public async Task A_user_never_reaches_another_users_mail_or_folders()
    {
        var a = await MailboxAsync("a");
        var b = await MailboxAsync("b", a.Org);
        await MailKitTestKit.AppendAsync(b.Address, "INBOX", [MailKitTestKit.Message("x@example.com", b.Address, "b's secret", "secret")], Ct);
        using (var imap = await MailKitTestKit.OpenAsync(b.Address, Ct))
        {
            await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("B-Private", true, Ct);
        }

        var bMessage = (await MailKitTestKit.ListAsync(b.Client, "INBOX", Ct)).Single();
        var bId = bMessage.GetProperty("id").GetString()!;

        await TestApi.AssertErrorAsync(await a.Client.GetAsync($"{Root}/email/messages/{bId}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await a.Client.GetAsync($"{Root}/email/messages/{bId}/raw/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await a.Client.GetAsync($"{Root}/email/messages/not-an-id/", Ct), HttpStatusCode.NotFound);
        var folders = await TestApi.ReadAsync(await a.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        Assert.DoesNotContain(folders.GetProperty("folders").EnumerateArray(), f => f.GetProperty("id").GetString() == "B-Private");
        await TestApi.AssertErrorAsync(await a.Client.GetAsync($"{Root}/email/messages/?folder=B-Private", Ct), HttpStatusCode.NotFound);
        var action = await a.Client.PostAsync($"{Root}/email/actions/", JsonContent.Create(new { action = "delete", ids = new[] { bId } }), Ct);
        var result = await TestApi.ReadAsync(action, HttpStatusCode.OK);
        Assert.False(result.GetProperty("success").GetBoolean());
        Assert.Equal(0, result.GetProperty("processed").GetInt32());
        Assert.Single((await MailKitTestKit.ListAsync(b.Client, "INBOX", Ct)));
    }

    [Fact]
    public async Task A_user_without_a_mailbox_is_told_so()
    {
        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.Forbidden, "mailbox");
    }
}

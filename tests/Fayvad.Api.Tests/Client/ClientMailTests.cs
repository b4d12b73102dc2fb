using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MimeKit;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// The mail routes driven as the fayvad_mail Django client (and its servers' callers) drive them: the `Token` header,
/// the exact paths with their trailing slash, the client's bodies, and the fields, JSON types and statuses its pages
/// read (client contract §5, §7 "Message item", §8.2-8.3).
/// </summary>
public sealed class ClientMailTests(ApiFactory factory) : MailTest(factory)
{
    /// <summary>A fresh mailbox whose HTTP client talks like ModoboaAPIClient: Token header, JSON, its User-Agent.</summary>
    private async Task<Mailbox> ClientMailboxAsync(string local = "user", TestOrg? org = null)
    {
        var box = await MailboxAsync(local, org);
        var (client, login) = await Api.LoginAsync(box.Address, TestApi.Password);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", login.GetProperty("token").GetString());
        client.DefaultRequestHeaders.UserAgent.ParseAdd("FayvadMail/1.0");
        return box with { Client = client };
    }

    private async Task<List<JsonElement>> InboxAsync(Mailbox box, string folder = "INBOX")
    {
        var body = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder={Uri.EscapeDataString(folder)}", Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        return body.GetProperty("messages").EnumerateArray().ToList();
    }

    private async Task<JsonElement> ActAsync(Mailbox box, object body) =>
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", body, Ct), HttpStatusCode.OK);

    private static string MessageId(JsonElement item) => item.GetProperty("message_id").GetString()!;

    private static string Str(JsonElement item, string name) => item.GetProperty(name).GetString()!;

    /// <summary>The flags another mail client sees, by Message-ID, in one folder.</summary>
    private static async Task<Dictionary<string, MessageFlags>> FlagsAsync(string mailbox, string folder)
    {
        using var imap = await MailKitTestKit.OpenAsync(mailbox, Ct);
        var target = folder == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(folder, Ct);
        await target.OpenAsync(FolderAccess.ReadOnly, Ct);
        if (target.Count == 0)
        {
            return [];
        }

        var summaries = await target.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.Envelope | MessageSummaryItems.Flags), Ct);
        return summaries.ToDictionary(s => s.Envelope!.MessageId!, s => s.Flags!.Value);
    }

    private static MimeMessage WithId(MimeMessage message, string? messageId)
    {
        if (messageId is null)
        {
            message.Headers.Remove(HeaderId.MessageId);
        }
        else
        {
            message.MessageId = messageId;
        }

        return message;
    }

    [Fact]
    public async Task Inbox_list_has_the_fields_the_client_reads_and_pages_by_50()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", Enumerable.Range(0, 52)
            .Select(i => MailKitTestKit.Message("bulk@example.com", box.Address, $"bulk {i:D2}", $"body {i}")).ToList(), Ct);
        await MailKitTestKit.AppendAsync(box.Address, "INBOX",
        [
            WithId(MailKitTestKit.Message("noid@example.com", box.Address, "", "no id and no subject"), null),
            WithId(MailKitTestKit.Message("slash@example.com", box.Address, "slashed", "x"), "part/one@example.com"),
        ], Ct);
        var delivered = MailKitTestKit.Message("Alice Example <alice@example.com>", box.Address, "from smtp", "hello Bob",
            attachments: new MimePart("application", "pdf") { FileName = "a.pdf", Content = new MimeContent(new MemoryStream("%PDF"u8.ToArray())) });
        await MailKitTestKit.DeliverAsync(delivered, Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "from smtp", Ct);

        // The inbox sends neither page nor limit: it shows the first 50, newest first.
        var messages = await InboxAsync(box);
        Assert.Equal(50, messages.Count);
        var first = messages[0];
        Assert.Equal("from smtp", Str(first, "subject"));
        Assert.Equal($"<{delivered.MessageId}>", MessageId(first));
        Assert.Equal("Alice Example <alice@example.com>", Str(first, "from_display"));
        Assert.Equal("alice@example.com", Str(first, "sender"));
        Assert.StartsWith("hello Bob", Str(first, "snippet"), StringComparison.Ordinal);
        Assert.Contains("hello Bob", Str(first, "body_text"), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(Str(first, "date_received"), CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        Assert.Equal(JsonValueKind.False, first.GetProperty("is_read").ValueKind);
        Assert.Equal(JsonValueKind.True, first.GetProperty("has_attachments").ValueKind);
        foreach (var item in messages)
        {
            foreach (var field in new[] { "message_id", "id", "from_display", "subject", "snippet", "date_received", "sender", "body_text" })
            {
                Assert.Equal(JsonValueKind.String, item.GetProperty(field).ValueKind);
            }

            Assert.NotEmpty(MessageId(item));
            Assert.DoesNotContain('/', MessageId(item));
        }

        // No Message-ID, or one with '/' (it would break the client's URL): the API id stands in.
        var noId = messages.Single(m => Str(m, "sender") == "noid@example.com");
        Assert.Equal(Str(noId, "id"), MessageId(noId));
        Assert.Equal("", Str(noId, "subject"));
        var slashed = messages.Single(m => Str(m, "subject") == "slashed");
        Assert.Equal(Str(slashed, "id"), MessageId(slashed));

        // Without bodies the strings are still strings.
        var summary = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&include_body=false", Ct), HttpStatusCode.OK);
        Assert.All(summary.GetProperty("messages").EnumerateArray(), m => Assert.Equal("", Str(m, "body_text")));

        var page2 = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&page=2", Ct), HttpStatusCode.OK);
        Assert.Equal(5, page2.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task Listing_a_folder_that_does_not_exist_is_an_error_the_client_can_see()
    {
        var box = await ClientMailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=Nowhere", Ct), HttpStatusCode.NotFound, "Nowhere");
        // A common name with no folder in that role is no folder either.
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=Archive", Ct), HttpStatusCode.NotFound, "Archive");
    }

    [Fact]
    public async Task Spam_and_the_other_common_names_reach_the_special_folders()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("spammer@example.com", box.Address, "cheap pills", "buy")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Sent", [MailKitTestKit.Message(box.Address, "x@example.com", "my sent one", "x")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Trash", [MailKitTestKit.Message("x@example.com", box.Address, "thrown away", "x")], Ct);

        var spam = Assert.Single(await InboxAsync(box, "Spam"));
        Assert.Equal("cheap pills", MailKitTestKit.Subject(spam));
        Assert.Equal("Junk", Str(spam, "folder"));
        Assert.Equal("cheap pills", MailKitTestKit.Subject(Assert.Single(await InboxAsync(box, "junk e-mail"))));
        Assert.Equal("my sent one", MailKitTestKit.Subject(Assert.Single(await InboxAsync(box, "Sent Items"))));
        Assert.Equal("thrown away", MailKitTestKit.Subject(Assert.Single(await InboxAsync(box, "Deleted Items"))));
        Assert.Equal("thrown away", MailKitTestKit.Subject(Assert.Single(await InboxAsync(box, "TRASH"))));
        Assert.Empty(await InboxAsync(box, "inbox"));
    }

    [Fact]
    public async Task Mark_unread_and_delete_work_with_the_rfc_message_id_taken_from_the_list()
    {
        var box = await ClientMailboxAsync();
        var mail = MailKitTestKit.Message("sender@example.com", box.Address, "act on me", "x");
        await MailKitTestKit.DeliverAsync(mail, Ct);
        var item = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "act on me", Ct);
        var messageId = MessageId(item);
        Assert.Equal($"<{mail.MessageId}>", messageId);

        // The message page's buttons: {action, ids: [one message_id]}, no folder.
        var read = await ActAsync(box, new { action = "mark_read", ids = new[] { messageId } });
        Assert.Equal(1, read.GetProperty("processed").GetInt32());
        Assert.True((await FlagsAsync(box.Address, "INBOX"))[mail.MessageId!].HasFlag(MessageFlags.Seen));

        var unread = await ActAsync(box, new { action = "mark_unread", ids = new[] { messageId } });
        Assert.True(unread.GetProperty("success").GetBoolean());
        Assert.Equal(1, unread.GetProperty("processed").GetInt32());
        Assert.False((await FlagsAsync(box.Address, "INBOX"))[mail.MessageId!].HasFlag(MessageFlags.Seen));
        Assert.False((await InboxAsync(box)).Single().GetProperty("is_read").GetBoolean());

        var deleted = await ActAsync(box, new { action = "delete", ids = new[] { messageId } });
        Assert.Equal(1, deleted.GetProperty("processed").GetInt32());
        Assert.Empty(await InboxAsync(box));
        Assert.Equal(messageId, MessageId(Assert.Single(await InboxAsync(box, "Trash"))));
    }

    [Fact]
    public async Task Ids_that_match_nothing_are_reported_one_by_one_and_nothing_else_changes()
    {
        var box = await ClientMailboxAsync();
        var mail = MailKitTestKit.Message("sender@example.com", box.Address, "stays", "x");
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [mail], Ct);
        var messageId = MessageId(Assert.Single(await InboxAsync(box)));

        var result = await ActAsync(box, new { action = "mark_read", ids = new[] { "<nobody@nowhere.test>", messageId, "garbage-id" } });
        Assert.False(result.GetProperty("success").GetBoolean());
        Assert.Equal(1, result.GetProperty("processed").GetInt32());
        Assert.Equal(3, result.GetProperty("total").GetInt32());
        Assert.Equal(["<nobody@nowhere.test>", "garbage-id"], result.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));

        var none = await ActAsync(box, new { action = "delete", ids = new[] { "<nobody@nowhere.test>" } });
        Assert.Equal(0, none.GetProperty("processed").GetInt32());
        Assert.Single(await InboxAsync(box));
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { ids = new[] { messageId } }, Ct), HttpStatusCode.BadRequest, "action");
    }

    [Fact]
    public async Task Move_takes_the_destination_from_folder_or_from_target_folder()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("x@example.com", box.Address, "wanderer", "x")], Ct);
        var item = Assert.Single(await InboxAsync(box));

        // dc33da3's client: folder is the destination (the browser's folder_id).
        await ActAsync(box, new { action = "move", ids = new[] { MessageId(item) }, folder = "Spam" });
        Assert.Empty(await InboxAsync(box));
        var spam = Assert.Single(await InboxAsync(box, "Junk"));

        // HEAD's browser inbox: id, folder = where it is now, target_folder = the destination.
        await ActAsync(box, new { action = "move", ids = new[] { Str(spam, "id") }, folder = "Spam", target_folder = "INBOX" });
        Assert.Empty(await InboxAsync(box, "Junk"));
        Assert.Single(await InboxAsync(box));
    }

    [Fact]
    public async Task A_move_that_cannot_be_done_is_refused_and_moves_nothing()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("x@example.com", box.Address, "stay", "x")], Ct);
        var messageId = MessageId(Assert.Single(await InboxAsync(box)));

        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "move", ids = new[] { messageId }, folder = "Nowhere" }, Ct), HttpStatusCode.NotFound, "Nowhere");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "move", ids = new[] { messageId }, folder = "INBOX", target_folder = "Nowhere" }, Ct), HttpStatusCode.NotFound, "Nowhere");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "move", ids = new[] { messageId } }, Ct), HttpStatusCode.BadRequest, "folder");
        Assert.Single(await InboxAsync(box));
    }

    [Fact]
    public async Task Rfc_message_ids_resolve_by_the_documented_order_and_only_by_exact_match()
    {
        var box = await ClientMailboxAsync();
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Projects", true, Ct);
        }

        var domain = box.Org.Domain;
        // One message filed twice (INBOX and Trash), one whose id is a substring of another's, one Gmail-style id that
        // a full-text index tokenizes, and one in a folder of the user's own.
        await MailKitTestKit.AppendAsync(box.Address, "INBOX",
        [
            WithId(MailKitTestKit.Message("x@example.com", box.Address, "twice", "x"), $"twice@{domain}"),
            WithId(MailKitTestKit.Message("x@example.com", box.Address, "long", "x"), $"xabc@{domain}"),
            WithId(MailKitTestKit.Message("x@example.com", box.Address, "gmail", "x"), $"CAKx7+Ab_cD=eF$gH%iJ@mail.gmail.com"),
        ], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Trash", [WithId(MailKitTestKit.Message("x@example.com", box.Address, "twice", "x"), $"twice@{domain}")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Projects", [WithId(MailKitTestKit.Message("x@example.com", box.Address, "short", "x"), $"abc@{domain}")], Ct);

        // No folder named: INBOX comes before Trash.
        await ActAsync(box, new { action = "mark_read", ids = new[] { $"<twice@{domain}>" } });
        Assert.True((await FlagsAsync(box.Address, "INBOX"))[$"twice@{domain}"].HasFlag(MessageFlags.Seen));
        Assert.False((await FlagsAsync(box.Address, "Trash"))[$"twice@{domain}"].HasFlag(MessageFlags.Seen));
        // The folder the request names comes first (the bare form of the id works too).
        await ActAsync(box, new { action = "star", ids = new[] { $"twice@{domain}" }, folder = "Trash" });
        Assert.True((await FlagsAsync(box.Address, "Trash"))[$"twice@{domain}"].HasFlag(MessageFlags.Flagged));
        Assert.False((await FlagsAsync(box.Address, "INBOX"))[$"twice@{domain}"].HasFlag(MessageFlags.Flagged));

        // "<abc@…>" is a substring of "<xabc@…>" in INBOX, but only the exact one, in Projects, is touched.
        var exact = await ActAsync(box, new { action = "mark_read", ids = new[] { $"<abc@{domain}>" } });
        Assert.Equal(1, exact.GetProperty("processed").GetInt32());
        Assert.True((await FlagsAsync(box.Address, "Projects"))[$"abc@{domain}"].HasFlag(MessageFlags.Seen));
        Assert.False((await FlagsAsync(box.Address, "INBOX"))[$"xabc@{domain}"].HasFlag(MessageFlags.Seen));

        var gmail = await ActAsync(box, new { action = "mark_read", ids = new[] { "<CAKx7+Ab_cD=eF$gH%iJ@mail.gmail.com>" } });
        Assert.Equal(1, gmail.GetProperty("processed").GetInt32());
        Assert.True((await FlagsAsync(box.Address, "INBOX"))["CAKx7+Ab_cD=eF$gH%iJ@mail.gmail.com"].HasFlag(MessageFlags.Seen));
    }

    [Fact]
    public async Task Message_detail_by_rfc_message_id_has_the_fields_of_both_client_servers()
    {
        var box = await ClientMailboxAsync();
        var mail = MailKitTestKit.Message("Sam Sender <sam@example.com>", box.Address, "detail", "plain body", "<p>html body</p>",
            new MimePart("application", "pdf") { FileName = "report.pdf", Content = new MimeContent(new MemoryStream("%PDF-1.4 x"u8.ToArray())) });
        mail.Cc.Add(MailboxAddress.Parse("carol@example.com"));
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [mail], Ct);
        var messageId = $"<{mail.MessageId}>";
        var path = $"{Root}/email/messages/{Uri.EscapeDataString(messageId)}";

        var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{path}/?folder=Spam", Ct), HttpStatusCode.OK);
        // HEAD's names.
        Assert.Equal(JsonValueKind.String, detail.GetProperty("id").ValueKind);
        Assert.Equal(messageId, Str(detail, "message_id"));
        Assert.Equal("detail", Str(detail, "subject"));
        Assert.Equal("sam@example.com", Str(detail, "sender"));
        Assert.Equal("Sam Sender <sam@example.com>", Str(detail, "from_display"));
        Assert.Equal([box.Address], detail.GetProperty("to_recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["carol@example.com"], detail.GetProperty("cc_recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Array, detail.GetProperty("bcc_recipients").ValueKind);
        Assert.Contains("plain body", Str(detail, "body_text"), StringComparison.Ordinal);
        Assert.Contains("html body", Str(detail, "body_html"), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(Str(detail, "date_received"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var received));
        Assert.Equal(JsonValueKind.False, detail.GetProperty("is_read").ValueKind);
        // dc33da3's names.
        Assert.Equal("sam@example.com", Str(detail.GetProperty("from"), "email"));
        Assert.Equal("Sam Sender", Str(detail.GetProperty("from"), "name"));
        Assert.Equal([box.Address], detail.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["carol@example.com"], detail.GetProperty("cc").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Array, detail.GetProperty("bcc").ValueKind);
        Assert.Equal(received, DateTimeOffset.Parse(Str(detail, "date"), CultureInfo.InvariantCulture));
        var pdf = detail.GetProperty("attachments").EnumerateArray().Single(a => Str(a, "filename") == "report.pdf");
        Assert.Equal("application/pdf", Str(pdf, "content_type"));
        Assert.Equal(JsonValueKind.String, pdf.GetProperty("id").ValueKind);
        Assert.True(pdf.GetProperty("size").GetInt64() > 0);
        Assert.Equal(pdf.GetProperty("size").GetInt64(), pdf.GetProperty("size_bytes").GetInt64());

        // Found without the hint too (Junk is in the lookup order), and the same message as by its API id.
        var unhinted = await TestApi.ReadAsync(await box.Client.GetAsync($"{path}/", Ct), HttpStatusCode.OK);
        Assert.Equal(Str(detail, "id"), Str(unhinted, "id"));

        var file = await box.Client.GetAsync($"{path}/attachments/{Str(pdf, "id")}/", Ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("%PDF-1.4 x"u8.ToArray(), await file.Content.ReadAsByteArrayAsync(Ct));
        var raw = await box.Client.GetAsync($"{path}/raw/?folder=Junk", Ct);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(mail.MessageId, (await MimeMessage.LoadAsync(await raw.Content.ReadAsStreamAsync(Ct), Ct)).MessageId);
    }

    [Fact]
    public async Task A_message_id_that_matches_nothing_is_404_on_every_message_route()
    {
        var box = await ClientMailboxAsync();
        var other = await ClientMailboxAsync("other", box.Org);
        var mail = MailKitTestKit.Message("x@example.com", other.Address, "not yours", "x");
        await MailKitTestKit.AppendAsync(other.Address, "INBOX", [mail], Ct);

        foreach (var id in new[] { "<nobody@nowhere.test>", $"<{mail.MessageId}>", "not-an-id" })
        {
            var path = $"{Root}/email/messages/{Uri.EscapeDataString(id)}";
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{path}/", Ct), HttpStatusCode.NotFound);
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{path}/?folder=INBOX", Ct), HttpStatusCode.NotFound);
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{path}/attachments/2/", Ct), HttpStatusCode.NotFound);
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{path}/raw/", Ct), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Folders_carry_the_fields_of_both_client_servers()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("x@example.com", box.Address, "s1", "x"), MailKitTestKit.Message("x@example.com", box.Address, "s2", "x")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("x@example.com", box.Address, "s3", "x")], Ct, MessageFlags.Seen);

        var body = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        var folders = body.GetProperty("folders").EnumerateArray().ToDictionary(f => Str(f, "id"));
        Assert.Equal(["INBOX", "Sent", "Drafts", "Trash", "Junk"], folders.Keys.Take(5));
        var junk = folders["Junk"];
        Assert.Equal("Junk", Str(junk, "name"));
        Assert.Equal(2, junk.GetProperty("unread_count").GetInt32());
        Assert.Equal(3, junk.GetProperty("total_count").GetInt32());
        Assert.Equal("spam", Str(junk, "type"));
        Assert.Equal(3, junk.GetProperty("total").GetInt32());
        Assert.Equal(2, junk.GetProperty("unseen").GetInt32());
        Assert.Equal(["inbox", "sent", "drafts", "trash"], new[] { "INBOX", "Sent", "Drafts", "Trash" }.Select(f => Str(folders[f], "type")));
    }

    [Fact]
    public async Task Folders_need_a_mailbox()
    {
        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.Forbidden, "mailbox");
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/email/check-new/", Ct), HttpStatusCode.Forbidden, "mailbox");
    }

    [Fact]
    public async Task Search_answers_in_the_shape_of_the_client_servers_with_their_filters()
    {
        var box = await ClientMailboxAsync();
        var withFile = MailKitTestKit.Message("Ann Other <ann@example.com>", box.Address, "walrus report", "see attached",
            attachments: new MimePart("text", "csv") { FileName = "n.csv", Content = new MimeContent(new MemoryStream("1,2"u8.ToArray())) });
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [withFile, MailKitTestKit.Message("bob@example.com", box.Address, "walrus plain", "no file")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("cy@example.com", box.Address, "walrus seen", "read")], Ct, MessageFlags.Seen);
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("dee@example.com", box.Address, "walrus inbox", "x")], Ct);

        var all = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?query=walrus&folder=Spam", Ct), HttpStatusCode.OK);
        Assert.Equal(3, all.GetProperty("count").GetInt32());
        Assert.Equal(["walrus plain", "walrus report", "walrus seen"], all.GetProperty("results").EnumerateArray().Select(r => Str(r, "subject")).Order(StringComparer.Ordinal));

        var filtered = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?query=walrus&folder=Spam&is_read=false&has_attachments=true", Ct), HttpStatusCode.OK);
        var hit = Assert.Single(filtered.GetProperty("results").EnumerateArray());
        Assert.Equal(1, filtered.GetProperty("count").GetInt32());
        Assert.Equal(["date", "folder", "from", "has_attachments", "id", "is_read", "message_id", "snippet", "subject"], hit.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("walrus report", Str(hit, "subject"));
        Assert.Equal("Ann Other", Str(hit, "from"));
        Assert.Equal("Junk", Str(hit, "folder"));
        Assert.False(hit.GetProperty("is_read").GetBoolean());
        Assert.True(hit.GetProperty("has_attachments").GetBoolean());
        Assert.StartsWith("see attached", Str(hit, "snippet"), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(Str(hit, "date"), CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        // Its id works on the message routes.
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{Str(hit, "id")}/", Ct), HttpStatusCode.OK);

        var read = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?query=walrus&folder=Spam&is_read=true", Ct), HttpStatusCode.OK);
        Assert.Equal(["walrus seen"], read.GetProperty("results").EnumerateArray().Select(r => Str(r, "subject")));
    }

    [Theory]
    [InlineData("query=", HttpStatusCode.BadRequest, "query")]
    [InlineData("query=%20%20", HttpStatusCode.BadRequest, "query")]
    [InlineData("query=walrus&folder=Nowhere", HttpStatusCode.NotFound, "Nowhere")]
    public async Task Bad_searches_get_an_error_body(string query, HttpStatusCode status, string mentions)
    {
        var box = await ClientMailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/search/?{query}", Ct), status, mentions);
    }

    private async Task<JsonElement> CheckNewAsync(Mailbox box, string query = "") =>
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/check-new/{query}", Ct), HttpStatusCode.OK);

    /// <summary>check-new answers from the watch, a pass behind IMAP at most: poll it as the client's inbox does.</summary>
    private async Task<JsonElement> CheckNewUntilAsync(Mailbox box, string query, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var answer = await CheckNewAsync(box, query);
            if (done(answer))
            {
                return answer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"check-new never showed the change: {answer}");
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task Check_new_reports_counts_from_the_push_state_and_what_arrived_since()
    {
        var box = await ClientMailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("x@example.com", box.Address, "already read", "x")], Ct, MessageFlags.Seen);

        // The first call for an unwatched mailbox starts the watch and answers from its baseline.
        var first = await CheckNewAsync(box);
        Assert.Equal(["folder", "has_new", "last_event_id", "state", "total_count", "unread_count"], first.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(first.GetProperty("has_new").GetBoolean());
        Assert.Equal(0, first.GetProperty("unread_count").GetInt32());
        Assert.Equal(1, first.GetProperty("total_count").GetInt32());
        Assert.Equal("INBOX", Str(first, "folder"));
        Assert.NotNull(await ApiFactory.ScalarAsync(
            "SELECT watcher_node FROM sync.mailbox_streams WHERE mailbox = $1 AND watcher_until > now()", box.Address));
        var since = first.GetProperty("last_event_id").GetInt64();
        var state = Str(first, "state");

        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("x@example.com", box.Address, "fresh", "x"), Ct);
        var after = await CheckNewUntilAsync(box, "", a => a.GetProperty("unread_count").GetInt32() == 1);
        Assert.True(after.GetProperty("has_new").GetBoolean());
        Assert.Equal(2, after.GetProperty("total_count").GetInt32());
        Assert.True((await CheckNewAsync(box, $"?since={since}")).GetProperty("has_new").GetBoolean());
        Assert.True((await CheckNewAsync(box, $"?folder=INBOX&since={Uri.EscapeDataString(state)}")).GetProperty("has_new").GetBoolean());
        Assert.True((await CheckNewAsync(box, $"?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture))}")).GetProperty("has_new").GetBoolean());

        // Nothing arrived since the latest answer, although there is unread mail.
        var latest = await CheckNewAsync(box);
        Assert.False((await CheckNewAsync(box, $"?since={latest.GetProperty("last_event_id").GetInt64()}")).GetProperty("has_new").GetBoolean());
        Assert.False((await CheckNewAsync(box, $"?since={Uri.EscapeDataString(Str(latest, "state"))}")).GetProperty("has_new").GetBoolean());
        Assert.False((await CheckNewAsync(box, $"?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture))}")).GetProperty("has_new").GetBoolean());

        // Common folder names resolve as everywhere else.
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("x@example.com", box.Address, "junk", "x")], Ct);
        var spam = await CheckNewUntilAsync(box, "?folder=Spam", a => a.GetProperty("total_count").GetInt32() == 1);
        Assert.Equal("Junk", Str(spam, "folder"));
        Assert.True(spam.GetProperty("has_new").GetBoolean());
    }

    [Theory]
    [InlineData("?since=yesterday", HttpStatusCode.BadRequest, "since")]
    [InlineData("?folder=Nowhere", HttpStatusCode.NotFound, "Nowhere")]
    public async Task Bad_check_new_requests_get_an_error_body(string query, HttpStatusCode status, string mentions)
    {
        var box = await ClientMailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/check-new/{query}", Ct), status, mentions);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MimeKit;
using Fayvad.Api.Tests.MailServer;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Drafts as the client's server defined them (<c>GET email/drafts/</c>, <c>POST email/drafts/save/</c>,
/// <c>DELETE email/drafts/{id}/delete/</c>) plus sending one, stored in the IMAP Drafts folder where every mail client sees them.
/// </summary>
public sealed class ClientDraftTests(ApiFactory factory) : ClientComposeTest(factory)
{
    private const string IdHeader = "X-Fayvad-Draft-Id";

    [Fact]
    public async Task A_saved_draft_is_in_the_imap_drafts_folder_flagged_draft_and_listed_with_the_clients_fields()
    {
        var user = await ClientMailboxAsync("user");
        var subject = Unique("Draft");

        var saved = await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/drafts/save/", new
        {
            to_recipients = new[] { "jane@example.com" },
            cc_recipients = Array.Empty<string>(),
            bcc_recipients = new[] { "boss@example.com" },
            subject,
            body = "<p>First <strong>thoughts</strong></p>",
        }, Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Number, saved.GetProperty("id").ValueKind);
        var id = saved.GetProperty("id").GetInt64();
        Assert.False(string.IsNullOrWhiteSpace(saved.GetProperty("message").GetString()));

        var stored = Assert.Single(await ImapMessagesAsync(user.Address, SpecialFolder.Drafts, m => m.Subject == subject));
        Assert.True(stored.Flags.HasFlag(MessageFlags.Draft));
        Assert.Equal(id.ToString(CultureInfo.InvariantCulture), stored.Message.Headers[IdHeader]);
        Assert.IsType<MultipartAlternative>(stored.Message.Body);
        Assert.Equal(["boss@example.com"], stored.Message.Bcc.Mailboxes.Select(m => m.Address));

        var list = await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK);
        var draft = Assert.Single(list.GetProperty("drafts").EnumerateArray());
        Assert.Equal(id, draft.GetProperty("id").GetInt64());
        Assert.Equal(["jane@example.com"], draft.GetProperty("to_recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(draft.GetProperty("cc_recipients").EnumerateArray());
        Assert.Equal(["boss@example.com"], draft.GetProperty("bcc_recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(subject, draft.GetProperty("subject").GetString());
        Assert.Equal("<p>First <strong>thoughts</strong></p>", draft.GetProperty("body").GetString());
        Assert.Equal("First thoughts", draft.GetProperty("body_text").GetString());
        var created = DateTimeOffset.Parse(draft.GetProperty("created_at").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(created, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.EndsWith("Z", draft.GetProperty("updated_at").GetString(), StringComparison.Ordinal);
        Assert.Empty(draft.GetProperty("attachments").EnumerateArray());

        // The docs' alias lists the same.
        var alias = await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/draft/", Ct), HttpStatusCode.OK);
        Assert.Equal(id, Assert.Single(alias.GetProperty("drafts").EnumerateArray()).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Replacing_a_draft_keeps_its_id_and_its_attachment_and_leaves_one_version()
    {
        var user = await ClientMailboxAsync("user");
        var file = RandomBytes(1_500_000);
        var upload = await UploadAsync(user.Client, file, "plan.pdf", "application/pdf");
        var first = await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/drafts/save/", new
        {
            to_recipients = new[] { "jane@example.com" },
            subject = Unique("v1"),
            body = "version one",
            attachment_ids = new[] { upload.GetProperty("id").GetInt64() },
        }, Ct), HttpStatusCode.OK);
        var id = first.GetProperty("id").GetInt64();
        var createdAt = Assert.Single((await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK))
            .GetProperty("drafts").EnumerateArray()).GetProperty("created_at").GetString();

        // HEAD's field names and comma-separated strings, through the docs' alias.
        var v2 = Unique("v2");
        var second = await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/draft/", new
        {
            id,
            to = "jane@example.com, joe@example.com",
            cc = "",
            bcc = "",
            subject = v2,
            body = "<p>version <em>two</em></p>",
        }, Ct), HttpStatusCode.OK);
        Assert.Equal(id, second.GetProperty("id").GetInt64());

        var versions = await ImapMessagesAsync(user.Address, SpecialFolder.Drafts, m => m.Headers[IdHeader] == id.ToString(CultureInfo.InvariantCulture));
        var stored = Assert.Single(versions).Message;
        Assert.Equal(v2, stored.Subject);
        var kept = Assert.Single(stored.Attachments.OfType<MimePart>());
        Assert.Equal("plan.pdf", kept.FileName);
        using (var bytes = new MemoryStream())
        {
            await kept.Content!.DecodeToAsync(bytes, Ct);
            Assert.Equal(file, bytes.ToArray());
        }

        var draft = Assert.Single((await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK))
            .GetProperty("drafts").EnumerateArray());
        Assert.Equal(["jane@example.com", "joe@example.com"], draft.GetProperty("to_recipients").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(createdAt, draft.GetProperty("created_at").GetString());
        var attachment = Assert.Single(draft.GetProperty("attachments").EnumerateArray());
        Assert.Equal("plan.pdf", attachment.GetProperty("filename").GetString());
        Assert.Equal(file, await user.Client.GetByteArrayAsync(attachment.GetProperty("url").GetString(), Ct));
    }

    [Fact]
    public async Task Sending_a_draft_delivers_once_files_it_in_sent_once_and_removes_it_from_drafts()
    {
        var sender = await ClientMailboxAsync("sender");
        var to = await ClientMailboxAsync("to", sender.Org);
        var subject = Unique("Send draft");
        var file = RandomBytes(300_000);
        var upload = await UploadAsync(sender.Client, file, "notes.bin", "application/octet-stream");
        var id = (await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/drafts/save/", new
        {
            to_recipients = new[] { to.Address },
            cc_recipients = Array.Empty<string>(),
            bcc_recipients = Array.Empty<string>(),
            subject,
            body = "<p>Ready to go</p>",
            attachment_ids = new[] { upload.GetProperty("id").GetInt64() },
        }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();

        async Task<HttpResponseMessage> Send(long draft, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/drafts/{draft}/send/") { Content = JsonContent.Create(new { }) };
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }

            return await sender.Client.SendAsync(request, Ct);
        }

        var key = "send-" + subject;
        var first = await TestApi.ReadAsync(await Send(id, key), HttpStatusCode.OK);
        Assert.True(first.GetProperty("sent").GetBoolean());
        Assert.True(first.GetProperty("saved_to_sent").GetBoolean());
        var messageId = first.GetProperty("message_id").GetString();
        // A retry with the same key, and a second click without one, answer the first send.
        Assert.Equal(messageId, (await TestApi.ReadAsync(await Send(id, key), HttpStatusCode.OK)).GetProperty("message_id").GetString());
        Assert.Equal(messageId, (await TestApi.ReadAsync(await Send(id, null), HttpStatusCode.OK)).GetProperty("message_id").GetString());

        var received = (await WaitForImapAsync(to.Address, null, subject)).Message;
        Assert.Equal($"<{received.MessageId}>", messageId);
        Assert.Null(received.Headers[IdHeader]);
        Assert.Equal(sender.Address, received.From.Mailboxes.Single().Address);
        Assert.IsType<MultipartAlternative>(((Multipart)received.Body!)[0]);
        Assert.Equal("notes.bin", Assert.Single(received.Attachments.OfType<MimePart>()).FileName);

        await MailProbe.SettledAsync(Ct, to.Address);
        Assert.Single(await ImapMessagesAsync(to.Address, null, m => m.Subject == subject));
        var inSent = Assert.Single(await ImapMessagesAsync(sender.Address, SpecialFolder.Sent, m => m.Subject == subject));
        Assert.True(inSent.Flags.HasFlag(MessageFlags.Seen));
        Assert.Empty(await ImapMessagesAsync(sender.Address, SpecialFolder.Drafts, m => m.Subject == subject));
        Assert.Empty((await TestApi.ReadAsync(await sender.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());

        // The same key for another draft is a different request: refused, nothing sent.
        var other = (await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { to_recipients = new[] { to.Address }, subject = Unique("other"), body = "x" }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();
        await TestApi.AssertErrorAsync(await Send(other, key), HttpStatusCode.Conflict, "Idempotency-Key");
        Assert.Single((await TestApi.ReadAsync(await sender.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());
    }

    [Fact]
    public async Task A_version_left_by_a_crash_between_append_and_expunge_loses_nothing_and_goes_with_the_next_save()
    {
        var user = await ClientMailboxAsync("user");
        var id = (await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { to_recipients = new[] { "a@example.com" }, subject = "old", body = "old" }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();

        // What a save that died after its APPEND leaves: a newer version beside the old one.
        var newer = MailKitTestKit.Message(user.Address, "a@example.com", "newer", "newer body");
        newer.Headers[IdHeader] = id.ToString(CultureInfo.InvariantCulture);
        using (var imap = await MailKitTestKit.OpenAsync(user.Address, Ct))
        {
            await imap.GetFolder(SpecialFolder.Drafts)!.AppendAsync(new AppendRequest(newer, MessageFlags.Draft), Ct);
        }

        var listed = Assert.Single((await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());
        Assert.Equal("newer", listed.GetProperty("subject").GetString());

        await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { id, to_recipients = new[] { "a@example.com" }, subject = "final", body = "final" }, Ct), HttpStatusCode.OK);
        var left = await ImapMessagesAsync(user.Address, SpecialFolder.Drafts, m => m.Headers[IdHeader] == id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("final", Assert.Single(left).Message.Subject);
    }

    [Fact]
    public async Task Delete_removes_the_draft_and_both_paths_answer()
    {
        var user = await ClientMailboxAsync("user");
        async Task<long> Save(string subject) => (await TestApi.ReadAsync(await user.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { to_recipients = Array.Empty<string>(), subject, body = "" }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();
        var first = await Save(Unique("one"));
        var second = await Save(Unique("two"));

        var deleted = await TestApi.ReadAsync(await user.Client.DeleteAsync($"{Root}/email/drafts/{first}/delete/", Ct), HttpStatusCode.OK);
        Assert.False(string.IsNullOrWhiteSpace(deleted.GetProperty("message").GetString()));
        await TestApi.ReadAsync(await user.Client.DeleteAsync($"{Root}/email/drafts/{second}/", Ct), HttpStatusCode.OK);

        Assert.Empty((await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());
        Assert.Empty(await ImapMessagesAsync(user.Address, SpecialFolder.Drafts, _ => true));
        await TestApi.AssertErrorAsync(await user.Client.DeleteAsync($"{Root}/email/drafts/{first}/delete/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_users_or_an_unknown_draft_is_404_and_bad_input_is_400_changing_nothing()
    {
        var owner = await ClientMailboxAsync("owner");
        var other = await ClientMailboxAsync("other", owner.Org);
        var subject = Unique("Mine");
        var id = (await TestApi.ReadAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { to_recipients = new[] { other.Address }, subject, body = "mine" }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();

        await TestApi.AssertErrorAsync(await other.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { id, to_recipients = new[] { other.Address }, subject = "hijack", body = "x" }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await other.Client.DeleteAsync($"{Root}/email/drafts/{id}/delete/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await other.Client.PostAsJsonAsync($"{Root}/email/drafts/{id}/send/", new { }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/999999999/send/", new { }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { id = 999_999_999, subject = "x" }, Ct), HttpStatusCode.NotFound);
        Assert.Empty((await TestApi.ReadAsync(await other.Client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());

        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { id, to_recipients = new[] { "not an address" }, subject = "x" }, Ct), HttpStatusCode.BadRequest, "to_recipients");
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { id = "draft_1", subject = "x" }, Ct), HttpStatusCode.BadRequest, "id");
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { subject = "x", attachment_ids = new[] { 123_456_789 } }, Ct), HttpStatusCode.NotFound, "attachment_ids");

        // A draft without a recipient cannot be sent.
        var unaddressed = (await TestApi.ReadAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/save/",
            new { subject = Unique("nobody"), body = "x" }, Ct), HttpStatusCode.OK)).GetProperty("id").GetInt64();
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/drafts/{unaddressed}/send/", new { }, Ct), HttpStatusCode.BadRequest, "to_recipients");

        var stored = Assert.Single(await ImapMessagesAsync(owner.Address, SpecialFolder.Drafts, m => m.Subject == subject));
        Assert.Equal("mine", Lines(stored.Message.TextBody ?? ""));
        Assert.Empty(await ImapMessagesAsync(other.Address, null, _ => true));
    }
}

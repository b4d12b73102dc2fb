using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using MimeKit;
using Fayvad.Api.Tests.MailServer;

namespace Fayvad.Api.Tests.Mail;

public sealed class SendTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task The_clients_scenario_send_with_cc_bcc_and_attachment_reaches_everyone_and_lands_in_sent_once()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var cc = await MailboxAsync("cc", sender.Org);
        var bcc = await MailboxAsync("bcc", sender.Org);
        var subject = Unique("Plan");
        byte[] file = [1, 2, 3, 250, 251, 252, .. "attachment bytes"u8.ToArray()];

        var folders = await TestApi.ReadAsync(await sender.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        Assert.Superset(new HashSet<string?> { "INBOX", "Sent", "Drafts", "Trash" },
            folders.GetProperty("folders").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToHashSet());

        var sent = await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/", new
        {
            to_emails = new[] { to.Address },
            cc_emails = new[] { cc.Address },
            bcc_emails = new[] { bcc.Address },
            subject,
            body = "See the attachment.",
            attachments = new[] { new { filename = "plan.bin", content_type = "application/octet-stream", content_base64 = Convert.ToBase64String(file) } },
        }, Ct), HttpStatusCode.OK);
        Assert.True(sent.GetProperty("sent").GetBoolean());
        var messageId = sent.GetProperty("message_id").GetString()!;
        Assert.Matches("^<.+@" + System.Text.RegularExpressions.Regex.Escape(sender.Org.Domain) + ">$", messageId);
        Assert.EndsWith("Z", sent.GetProperty("timestamp").GetString(), StringComparison.Ordinal);

        foreach (var recipient in new[] { to, cc, bcc })
        {
            var received = await MailKitTestKit.WaitForMessageAsync(recipient.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
            Assert.Equal(sender.Address, received.GetProperty("sender").GetString());
            Assert.Equal(messageId, received.GetProperty("message_id").GetString());
            var raw = await recipient.Client.GetStringAsync($"{Root}/email/messages/{received.GetProperty("id").GetString()}/raw/", Ct);
            Assert.DoesNotContain(bcc.Address, raw, StringComparison.OrdinalIgnoreCase);

            var detail = await TestApi.ReadAsync(await recipient.Client.GetAsync($"{Root}/email/messages/{received.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
            var attachment = detail.GetProperty("attachments").EnumerateArray().Single();
            Assert.Equal("plan.bin", attachment.GetProperty("filename").GetString());
            var bytes = await recipient.Client.GetByteArrayAsync($"{Root}/email/messages/{received.GetProperty("id").GetString()}/attachments/{attachment.GetProperty("id").GetString()}/", Ct);
            Assert.Equal(file, bytes);
        }

        var inSent = (await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct)).Where(m => MailKitTestKit.Subject(m) == subject).ToList();
        var copy = Assert.Single(inSent);
        Assert.True(copy.GetProperty("is_read").GetBoolean());
        Assert.Equal([bcc.Address], copy.GetProperty("bcc_recipients").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_first_result_and_delivers_once()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var subject = Unique("Once");
        async Task<HttpResponseMessage> SendAsync(string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/")
            {
                Content = JsonContent.Create(new { to_emails = new[] { to.Address }, subject, body }),
            };
            request.Headers.Add("Idempotency-Key", "key-" + subject);
            return await sender.Client.SendAsync(request, Ct);
        }

        var first = await TestApi.ReadAsync(await SendAsync("hello"), HttpStatusCode.OK);
        var second = await TestApi.ReadAsync(await SendAsync("hello"), HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("message_id").GetString(), second.GetProperty("message_id").GetString());
        await TestApi.AssertErrorAsync(await SendAsync("a different body"), HttpStatusCode.Conflict, "Idempotency-Key");

        await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
        await MailProbe.SettledAsync(Ct, to.Address);
        Assert.Single(await MailKitTestKit.ListAsync(to.Client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == subject);
        Assert.Single(await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct), m => MailKitTestKit.Subject(m) == subject);
    }

    [Fact]
    public async Task Multipart_form_data_with_a_file_part_sends_the_file()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var subject = Unique("Form");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(to.Address), "to_emails" },
            { new StringContent(subject), "subject" },
            { new StringContent("body from a form"), "body" },
        };
        var file = new ByteArrayContent("col1,col2\n1,2\n"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "attachments", "numbers.csv");

        await TestApi.ReadAsync(await sender.Client.PostAsync($"{Root}/email/send/", form, Ct), HttpStatusCode.OK);
        var received = await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
        var detail = await TestApi.ReadAsync(await to.Client.GetAsync($"{Root}/email/messages/{received.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
        Assert.Equal("numbers.csv", detail.GetProperty("attachments")[0].GetProperty("filename").GetString());
        Assert.Contains("body from a form", detail.GetProperty("body_text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_sends_are_refused_and_nothing_is_sent()
    {
        var sender = await MailboxAsync("sender");
        async Task Refused(object body, HttpStatusCode status, string mentions) =>
            await TestApi.AssertErrorAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/", body, Ct), status, mentions);

        await Refused(new { subject = "no one" }, HttpStatusCode.BadRequest, "to_emails");
        await Refused(new { to_emails = new[] { sender.Address } }, HttpStatusCode.BadRequest, "empty");
        await Refused(new { to_emails = new[] { "not an address" }, subject = "x" }, HttpStatusCode.BadRequest, "not an address");
        await Refused(new { to_emails = new[] { "a@b.com\r\nBcc: evil@example.com" }, subject = "x" }, HttpStatusCode.BadRequest, "to_emails");
        await Refused(new { to_emails = new[] { sender.Address }, subject = "x", attachments = new[] { new { filename = "a", content_type = "text/plain", content_base64 = "%%%" } } },
            HttpStatusCode.BadRequest, "attachments");
        await Refused(new { to_emails = new[] { sender.Address }, subject = "big", attachments = new[] { new { filename = "big.bin", content_type = "application/octet-stream", content_base64 = Convert.ToBase64String(new byte[26 * 1024 * 1024]) } } },
            HttpStatusCode.RequestEntityTooLarge, "limit");

        Assert.Empty(await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct));
        Assert.Empty(await MailKitTestKit.ListAsync(sender.Client, "INBOX", Ct));
    }

    [Fact]
    public async Task Line_breaks_in_the_subject_cannot_inject_headers()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var victim = await MailboxAsync("victim", sender.Org);
        var marker = Unique("Inject");
        // A subject is one line: a line break is refused, naming the field, and nothing is sent to anyone.
        await TestApi.AssertErrorAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/",
            new { to_emails = new[] { to.Address }, subject = $"{marker}\r\nBcc: {victim.Address}", body = "x" }, Ct), HttpStatusCode.BadRequest, "subject");

        await MailProbe.SettledAsync(Ct, to.Address, victim.Address);
        Assert.Empty(await MailKitTestKit.ListAsync(to.Client, "INBOX", Ct));
        Assert.Empty(await MailKitTestKit.ListAsync(victim.Client, "INBOX", Ct));
        Assert.Empty(await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using Fayvad.Api.Tests.MailServer;

namespace Fayvad.Api.Tests.Client;

/// <summary>The compose page: <c>POST email/send/</c> with the rich-text editor's HTML fragment in <c>body</c>.</summary>
public sealed class ClientComposeTests(ApiFactory factory) : ClientComposeTest(factory)
{
    // What CKEditor 5's getData() gives for a short formatted message, as the compose view posts it.
    private const string EditorBody =
        "<p>Hello <strong>Jane</strong>,</p><p>The plan:</p><ul><li>first</li><li>second</li></ul>"
        + "<p>See <a href=\"https://example.com/plan\">the plan</a> &amp; reply.</p><p>&nbsp;</p>"
        + "<p style=\"text-align:center;\">Thanks<script>alert('x')</script></p>";

    [Fact]
    public async Task The_editors_html_arrives_as_multipart_alternative_with_sanitized_html_and_readable_text()
    {
        var sender = await ClientMailboxAsync("sender");
        var to = await ClientMailboxAsync("to", sender.Org);
        var subject = Unique("Rich");

        var response = await sender.Client.PostAsJsonAsync($"{Root}/email/send/",
            new { to_emails = new[] { to.Address }, cc_emails = Array.Empty<string>(), bcc_emails = Array.Empty<string>(), subject, body = EditorBody }, Ct);
        var sent = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.True, sent.GetProperty("sent").ValueKind);

        var received = (await WaitForImapAsync(to.Address, null, subject)).Message;
        var alternative = Assert.IsType<MultipartAlternative>(received.Body);
        Assert.Equal(2, alternative.Count);
        var text = Assert.IsType<TextPart>(alternative[0]);
        var html = Assert.IsType<TextPart>(alternative[1]);
        Assert.True(text.IsPlain);
        Assert.True(html.IsHtml);
        Assert.Equal("Hello Jane,\n\nThe plan:\n\n- first\n- second\n\nSee the plan (https://example.com/plan) & reply.\n\nThanks", Lines(text.Text));
        Assert.Contains("<strong>Jane</strong>", html.Text, StringComparison.Ordinal);
        Assert.Contains("<li>second</li>", html.Text, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.com/plan\"", html.Text, StringComparison.Ordinal);
        Assert.Contains("text-align: center", html.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("script", html.Text, StringComparison.OrdinalIgnoreCase);

        // The sender's copy in Sent is the same message.
        var copy = (await WaitForImapAsync(sender.Address, MailKit.SpecialFolder.Sent, subject)).Message;
        Assert.IsType<MultipartAlternative>(copy.Body);
    }

    [Fact]
    public async Task Plain_text_that_mentions_angle_brackets_stays_one_text_plain_part()
    {
        var sender = await ClientMailboxAsync("sender");
        var to = await ClientMailboxAsync("to", sender.Org);
        var subject = Unique("Plain");
        const string body = "Numbers: a<b and 3 > 2.\nWrite to <someone@example.com>.\n\nBye";

        await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/",
            new { to_emails = new[] { to.Address }, cc_emails = Array.Empty<string>(), bcc_emails = Array.Empty<string>(), subject, body }, Ct), HttpStatusCode.OK);

        var received = (await WaitForImapAsync(to.Address, null, subject)).Message;
        var part = Assert.IsType<TextPart>(received.Body);
        Assert.True(part.IsPlain);
        Assert.Equal(body, Lines(part.Text));
    }

    [Fact]
    public async Task Html_with_uploaded_files_is_mixed_around_the_alternative_and_the_bytes_arrive_intact()
    {
        var sender = await ClientMailboxAsync("sender");
        var to = await ClientMailboxAsync("to", sender.Org);
        var subject = Unique("Files");
        var pdf = RandomBytes(3 * 1024 * 1024 + 77);
        var csv = "a,b\n1,2\n"u8.ToArray();
        var first = await UploadAsync(sender.Client, pdf, "report.pdf", "application/pdf");
        var second = await UploadAsync(sender.Client, csv, "numbers.csv", "text/csv");

        var sent = await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/", new
        {
            to_emails = new[] { to.Address },
            subject,
            body = "<p>Two files.</p>",
            attachment_ids = new[] { first.GetProperty("id").GetInt64(), second.GetProperty("attachment_id").GetInt64() },
        }, Ct), HttpStatusCode.OK);
        Assert.True(sent.GetProperty("sent").GetBoolean());

        var received = (await WaitForImapAsync(to.Address, null, subject)).Message;
        var mixed = Assert.IsType<Multipart>(received.Body);
        Assert.Equal("mixed", mixed.ContentType.MediaSubtype);
        Assert.IsType<MultipartAlternative>(mixed[0]);
        var files = received.Attachments.OfType<MimePart>().ToList();
        Assert.Equal(["report.pdf", "numbers.csv"], files.Select(f => f.FileName));
        Assert.Equal(["application/pdf", "text/csv"], files.Select(f => f.ContentType.MimeType));
        Assert.Equal(pdf, Decode(files[0]));
        Assert.Equal(csv, Decode(files[1]));
    }

    [Fact]
    public async Task Another_users_upload_is_404_a_malformed_list_400_and_an_oversized_message_413_and_nothing_is_sent()
    {
        var sender = await ClientMailboxAsync("sender");
        var other = await ClientMailboxAsync("other", sender.Org);
        var to = await ClientMailboxAsync("to", sender.Org);
        var theirs = await UploadAsync(other.Client, "not yours"u8.ToArray(), "private.txt", "text/plain");
        async Task<HttpResponseMessage> Send(object attachmentIds) =>
            await sender.Client.PostAsJsonAsync($"{Root}/email/send/",
                new { to_emails = new[] { to.Address }, subject = "x", body = "<p>x</p>", attachment_ids = attachmentIds }, Ct);

        await TestApi.AssertErrorAsync(await Send(new[] { theirs.GetProperty("id").GetInt64() }), HttpStatusCode.NotFound, "attachment_ids");
        await TestApi.AssertErrorAsync(await Send(new[] { 999_999_999L }), HttpStatusCode.NotFound, "attachment_ids");
        await TestApi.AssertErrorAsync(await Send(new object[] { "abc" }), HttpStatusCode.BadRequest, "attachment_ids");

        // Two 10 MiB files are 20 MiB, but about 27 MB once base64-encoded: over Postfix's 25 MiB message_size_limit.
        var a = await UploadAsync(sender.Client, RandomBytes(10 * 1024 * 1024), "a.bin", "application/octet-stream");
        var b = await UploadAsync(sender.Client, RandomBytes(10 * 1024 * 1024 + 1), "b.bin", "application/octet-stream");
        await TestApi.AssertErrorAsync(await Send(new[] { a.GetProperty("id").GetInt64(), b.GetProperty("id").GetInt64() }),
            HttpStatusCode.RequestEntityTooLarge, "limit");

        await MailProbe.SettledAsync(Ct, to.Address);
        Assert.Empty(await ImapMessagesAsync(to.Address, null, _ => true));
        Assert.Empty(await ImapMessagesAsync(sender.Address, MailKit.SpecialFolder.Sent, _ => true));
    }

    private static byte[] Decode(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer, Ct);
        return buffer.ToArray();
    }
}

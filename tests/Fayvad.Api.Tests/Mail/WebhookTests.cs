using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

[Collection(ApiProcesses.Name)]
public sealed class WebhookTests(ApiFactory factory) : MailTest(factory)
{
    private const string Secret = "whsec-test-0123456789abcdef";

    [Fact]
    public async Task A_failing_receiver_gets_the_same_signed_event_until_it_answers_200()
    {
        var box = await MailboxAsync();
        await using var receiver = await WebhookReceiver.StartAsync(500, 500);
        await using var node = await HostProcess.StartAsync("hooks-" + Guid.NewGuid().ToString("N")[..6], Ct);
        var admin = await Api.AsAsync(box.Org.AdminUsername);
        var webhook = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = receiver.Url, events = new[] { "message.new" }, secret = Secret }, Ct), HttpStatusCode.Created);
        Assert.False(webhook.TryGetProperty("secret", out _));
        await WaitUntilWatchedAsync(box.Address);

        var subject = Unique("hooked");
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, subject, "x"), Ct);

        var received = await receiver.WaitForAsync(r => r.Any(x => x.AnsweredWith == 200), 30, Ct);
        Assert.Equal([500, 500, 200], received.Select(r => r.AnsweredWith));
        Assert.Single(received.Select(r => r.EventId).Distinct());
        foreach (var request in received)
        {
            Assert.Equal(Sign(request.Timestamp!, request.Body), request.Signature);
            using var body = JsonDocument.Parse(request.Body);
            Assert.Equal(request.EventId, body.RootElement.GetProperty("event_id").GetString());
            Assert.Equal("message.new", body.RootElement.GetProperty("type").GetString());
            Assert.Equal(box.Address, body.RootElement.GetProperty("mailbox").GetString());
            Assert.Equal(subject, body.RootElement.GetProperty("data").GetProperty("message").GetProperty("subject").GetString());
        }

        // A tampered body does not verify.
        Assert.NotEqual(Sign(received[0].Timestamp!, received[0].Body.Replace(subject, "other", StringComparison.Ordinal)), received[0].Signature);

        var id = webhook.GetProperty("id").GetInt64();
        var deliveries = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/webhooks/{id}/deliveries/", Ct), HttpStatusCode.OK);
        var delivery = deliveries.GetProperty("deliveries").EnumerateArray().Single();
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(200, delivery.GetProperty("last_status_code").GetInt32());
        Assert.Equal(received[0].EventId, delivery.GetProperty("event_id").GetString());
        var listed = (await TestApi.ReadAsync(await admin.GetAsync($"{Root}/webhooks/", Ct), HttpStatusCode.OK)).GetProperty("webhooks").EnumerateArray().Single();
        Assert.Equal(1, listed.GetProperty("deliveries").GetProperty("delivered").GetInt32());
    }

    [Fact]
    public async Task Nothing_is_lost_across_an_api_restart()
    {
        var box = await MailboxAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.AnswerAlways(HttpStatusCode.ServiceUnavailable);
        var admin = await Api.AsAsync(box.Org.AdminUsername);
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = receiver.Url, events = new[] { "message.new" }, secret = Secret }, Ct), HttpStatusCode.Created);

        string queuedEventId;
        await using (var first = await HostProcess.StartAsync("restart-a-" + Guid.NewGuid().ToString("N")[..6], Ct))
        {
            await WaitUntilWatchedAsync(box.Address);
            await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, "before the crash", "x"), Ct);
            queuedEventId = (await receiver.WaitForAsync(r => r.Count > 0, 30, Ct))[0].EventId!;
            await first.KillAsync();
        }

        // While no node delivers: more mail, and the receiver recovers.
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, "while it was down", "x"), Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == "while it was down", Ct);
        receiver.AnswerOk();

        await using var second = await HostProcess.StartAsync("restart-b-" + Guid.NewGuid().ToString("N")[..6], Ct);
        var received = await receiver.WaitForAsync(r => r.Count(x => x.AnsweredWith == 200) >= 2, 40, Ct);
        var delivered = received.Where(r => r.AnsweredWith == 200).ToList();
        Assert.Contains(delivered, r => r.EventId == queuedEventId);
        var subjects = delivered.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("message").GetProperty("subject").GetString()).ToList();
        Assert.Contains("before the crash", subjects);
        Assert.Contains("while it was down", subjects);
    }

    [Fact]
    public async Task Registration_is_validated_and_scoped_to_the_admins_organization()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var otherAdmin = await Api.AsAsync(other.AdminUsername);
        var user = (await MailboxAsync("plain", org)).Client;

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "ftp://x.test/h", events = new[] { "message.new" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "url");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "message.exploded" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "events");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = Array.Empty<string>(), secret = Secret }, Ct), HttpStatusCode.BadRequest, "events");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "*" }, secret = "short" }, Ct), HttpStatusCode.BadRequest, "secret");
        await TestApi.AssertErrorAsync(await user.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "*" }, secret = Secret, organization_id = other.Id }, Ct), HttpStatusCode.Forbidden);

        // Internal targets (this API's network) are refused even for an admin; loopback is opted in for tests only.
        foreach (var internalUrl in new[]
        {
            "http://10.1.2.3/h", "http://172.16.0.9/h", "http://192.168.1.1/h", "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/h", "http://[fe80::1]/h", "http://[fd00::1]/h", "http://224.0.0.1/h", "http://0.0.0.0/h",
            "http://[::ffff:10.0.0.1]/h", "http://100.64.0.1/h", "https://no-such-host.invalid/h",
        })
        {
            await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = internalUrl, events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "url");
        }

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "https://hooks.example/h\r\nX-Injected: 1", events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "url");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "https://user:pw@hooks.example/h", events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "url");
        Assert.Empty((await TestApi.ReadAsync(await admin.GetAsync($"{Root}/webhooks/", Ct), HttpStatusCode.OK)).GetProperty("webhooks").EnumerateArray());

        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal(org.Id, created.GetProperty("organization_id").GetInt64());

        Assert.Empty((await TestApi.ReadAsync(await otherAdmin.GetAsync($"{Root}/webhooks/", Ct), HttpStatusCode.OK)).GetProperty("webhooks").EnumerateArray());
        await TestApi.AssertErrorAsync(await otherAdmin.GetAsync($"{Root}/webhooks/{id}/deliveries/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await otherAdmin.DeleteAsync($"{Root}/webhooks/{id}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/webhooks/", Ct), HttpStatusCode.Forbidden);

        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.PostAsJsonAsync($"{Root}/webhooks/", new { url = "http://127.0.0.1:9/h", events = new[] { "*" }, secret = Secret }, Ct), HttpStatusCode.BadRequest, "organization_id");
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/webhooks/?organization=abc", Ct), HttpStatusCode.BadRequest, "organization");
        var mine = (await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/webhooks/?organization={org.Id}", Ct), HttpStatusCode.OK)).GetProperty("webhooks").EnumerateArray().Single();
        Assert.Equal(id, mine.GetProperty("id").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Root}/webhooks/{id}/", Ct)).StatusCode);
        Assert.Empty((await TestApi.ReadAsync(await admin.GetAsync($"{Root}/webhooks", Ct), HttpStatusCode.OK)).GetProperty("webhooks").EnumerateArray());
    }

    private static string Sign(string timestamp, string body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    /// <summary>Until some node has taken the mailbox's baseline: mail before that is the starting point, not an event.</summary>
    private static async Task WaitUntilWatchedAsync(string mailbox)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ApiFactory.ScalarAsync("SELECT synced_at FROM sync.mailbox_streams WHERE mailbox = $1", mailbox) is not DateTime and not DateTimeOffset)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{mailbox} was never watched");
            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ApiProcesses
{
    public const string Name = "API processes";
}

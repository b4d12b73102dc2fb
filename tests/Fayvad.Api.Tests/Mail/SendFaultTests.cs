using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Fayvad.Api.Tests.Faults;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// A send under faults: Postfix stopped (only this stack's, by the pid in its queue folder) and a claim left by a
/// process that died mid-send. Nothing accepted is lost, nothing is sent twice that need not be (docs/adr/0016).
/// </summary>
[Collection(nameof(MailServerOutage))]
public sealed class SendFaultTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task With_postfix_stopped_a_send_is_a_clear_503_and_the_same_key_delivers_once_after_the_restart()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var subject = Unique("Outage");
        var key = "outage-" + Guid.NewGuid().ToString("N");

        var master = await PostfixMasterPidAsync();
        Assert.True(master > 0, "this stack's Postfix is not running");
        // SIGTERM, as "postfix stop" sends: the master ends its children and closes its listeners.
        await StackProcesses.RunAsync("kill", "-TERM", master.ToString(CultureInfo.InvariantCulture));
        try
        {
            var gone = DateTime.UtcNow.AddSeconds(15);
            while (await SubmissionAnswersAsync() && DateTime.UtcNow < gone)
            {
                await Task.Delay(100, Ct);
            }

            Assert.False(await SubmissionAnswersAsync(), "Postfix submission still answers");

            var started = Stopwatch.StartNew();
            var failed = await SendAsync(sender, to, subject, key);
            await TestApi.AssertErrorAsync(failed, HttpStatusCode.ServiceUnavailable, "mail server");
            Assert.NotNull(failed.Headers.RetryAfter);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the 503 took {started.Elapsed}");

            // Nothing recorded as sent: the claim is freed and no copy was filed in Sent.
            Assert.Equal(0L, await ApiFactory.ScalarAsync(
                "SELECT count(*) FROM mail.sent_records WHERE mailbox = $1 AND idempotency_key = $2", sender.Address, key));
            Assert.DoesNotContain(await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct), m => MailKitTestKit.Subject(m) == subject);
        }
        finally
        {
            await StackProcesses.EnsureUpAsync();
        }

        // Back within seconds, no API restart; the retry with the same key delivers, a second retry replays.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpResponseMessage retry;
        while ((retry = await SendAsync(sender, to, subject, key)).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, retry.StatusCode);
            await Task.Delay(200, Ct);
        }

        var first = await TestApi.ReadAsync(retry, HttpStatusCode.OK);
        var again = await TestApi.ReadAsync(await SendAsync(sender, to, subject, key), HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("message_id").GetString(), again.GetProperty("message_id").GetString());

        await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
        // A second delivery, were there one, is out of Postfix's queue once nothing for the recipient is queued.
        await Fayvad.Api.Tests.MailServer.MailProbe.SettledAsync(Ct, to.Address);
        Assert.Single(await MailKitTestKit.ListAsync(to.Client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == subject);
        Assert.Single(await MailKitTestKit.ListAsync(sender.Client, "Sent", Ct), m => MailKitTestKit.Subject(m) == subject);
    }

    [Fact]
    public async Task A_claim_left_by_a_dead_send_is_taken_over_after_its_lease_and_reuses_its_message_id()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var subject = Unique("Crash");

        // A completed send gives the request's hash; the planted claims copy it, as the dead attempt would have had.
        var done = "done-" + Guid.NewGuid().ToString("N");
        await TestApi.ReadAsync(await SendAsync(sender, to, subject, done), HttpStatusCode.OK);
        var live = "live-" + Guid.NewGuid().ToString("N");
        var stale = "stale-" + Guid.NewGuid().ToString("N");
        var plantedId = $"<{Guid.NewGuid():N}@{sender.Org.Domain}>";
        await ApiFactory.ScalarAsync("""
            INSERT INTO mail.sent_records (mailbox, idempotency_key, request_hash, completed, message_id, created_at, claimed_until)
            SELECT mailbox, $2, request_hash, false, NULL, now(), now() + interval '1 minute'
              FROM mail.sent_records WHERE mailbox = $1 AND idempotency_key = $3
            """, sender.Address, live, done);
        await ApiFactory.ScalarAsync("""
            INSERT INTO mail.sent_records (mailbox, idempotency_key, request_hash, completed, message_id, created_at, claimed_until)
            SELECT mailbox, $2, request_hash, false, $4, now() - interval '10 minutes', now() - interval '5 minutes'
              FROM mail.sent_records WHERE mailbox = $1 AND idempotency_key = $3
            """, sender.Address, stale, done, plantedId);

        // A claim still inside its lease may belong to a send in progress: 409, nothing sent.
        await TestApi.AssertErrorAsync(await SendAsync(sender, to, subject, live), HttpStatusCode.Conflict, "in progress");

        // Past its lease the claim is taken over: sent, under the Message-ID the dead attempt had recorded.
        var taken = await TestApi.ReadAsync(await SendAsync(sender, to, subject, stale), HttpStatusCode.OK);
        Assert.Equal(plantedId, taken.GetProperty("message_id").GetString());
        Assert.Equal(true, await ApiFactory.ScalarAsync(
            "SELECT completed FROM mail.sent_records WHERE mailbox = $1 AND idempotency_key = $2", sender.Address, stale));
        var replay = await TestApi.ReadAsync(await SendAsync(sender, to, subject, stale), HttpStatusCode.OK);
        Assert.Equal(plantedId, replay.GetProperty("message_id").GetString());

        var received = await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => m.GetProperty("message_id").GetString() == plantedId, Ct);
        Assert.Equal(subject, MailKitTestKit.Subject(received));
        await Fayvad.Api.Tests.MailServer.MailProbe.SettledAsync(Ct, to.Address);
        Assert.Equal(2, (await MailKitTestKit.ListAsync(to.Client, "INBOX", Ct)).Count(m => MailKitTestKit.Subject(m) == subject));
    }

    private Task<HttpResponseMessage> SendAsync(Mailbox sender, Mailbox to, string subject, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/")
        {
            Content = JsonContent.Create(new { to_emails = new[] { to.Address }, subject, body = "Once only." }),
        };
        request.Headers.Add("Idempotency-Key", key);
        return sender.Client.SendAsync(request, Ct);
    }

    /// <summary>This stack's Postfix master, from its queue folder: never another stack's Postfix.</summary>
    private static async Task<int> PostfixMasterPidAsync()
    {
        var pidFile = Path.Combine(StackSettings.Get("STACK_DIR"), "postfix", "queue", "pid", "master.pid");
        // The master holds an exclusive lock on it, which .NET's file API honours: read it with cat.
        return int.Parse((await StackProcesses.RunAsync("cat", pidFile)).Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<bool> SubmissionAnswersAsync()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", int.Parse(StackSettings.Get("SUBMISSION_PORT"), CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}

using System.Globalization;
using System.Text;
using Fayvad.Api.Tests.Mail;
using MailKit;

namespace Fayvad.Api.Tests.Faults;

/// <summary>
/// The issue #11 fault run: while 24 clients load the API (a separate process on loopback) with list, detail, folders
/// and sends, one dependency of this stack is stopped and started again. While it is down requests fail fast with a
/// clear 503; within 5 s of its return they succeed again, no API restart; every send answered 2xx, and every failed
/// one retried with its key, is delivered exactly once.
/// </summary>
[Collection(nameof(MailServerOutage))]
public sealed class FaultsUnderLoadTests(ApiFactory factory, FaultsUnderLoadTests.Node node) : MailTest(factory), IClassFixture<FaultsUnderLoadTests.Node>
{
    private const int Clients = 24;
    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(5);

    /// <summary>One API process for the three runs: it is never restarted between them.</summary>
    public sealed class Node : IAsyncLifetime
    {
        public HostProcess Host { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Host = await HostProcess.StartAsync("faults-under-load", CancellationToken.None, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Critical",
            // The load is the test's own instrument, not a caller to be limited.
            ["RateLimiting__Enabled"] = "false",
            ["Logging__LogLevel__Fayvad.Mail.Smtp"] = "Warning",
        });

        public async ValueTask DisposeAsync() => await Host.DisposeAsync();
    }

    [Theory]
    [InlineData(Dependency.PostgreSql)]
    [InlineData(Dependency.Dovecot)]
    [InlineData(Dependency.Postfix)]
    public async Task Stopped_under_load_it_gives_fast_503s_recovers_within_5_s_and_every_send_is_delivered_once(Dependency dependency)
    {
        var a = await MailboxAsync("a");
        var b = await MailboxAsync("b", a.Org);
        var sink = await MailboxAsync("sink", a.Org);
        var users = new List<LoadUser>();
        foreach (var box in new[] { a, b })
        {
            await MailKitTestKit.AppendAsync(box.Address, "INBOX", Enumerable.Range(0, 12)
                .Select(i => MailKitTestKit.Message("x@example.org", box.Address, $"Seed {i}", $"Body {i} " + new string('x', 400), $"<p>Body {i}</p>")).ToList(), Ct);
            var ids = (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false")).Select(m => m.GetProperty("id").GetString()!).ToList();
            users.Add(new LoadUser(box.Client.DefaultRequestHeaders.Authorization!.Parameter!, ids, sink.Address));
        }

        // The node's first requests pay for JIT, EF Core's model and the first IMAP logins: not what is measured here.
        using (var warm = node.Host.Client())
        {
            foreach (var user in users)
            {
                warm.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.Token);
                foreach (var path in new[] { "/fayvad_api/email/folders/", "/fayvad_api/email/messages/?folder=INBOX&limit=10", $"/fayvad_api/email/messages/{user.MessageIds[0]}/" })
                {
                    await TestApi.ReadAsync(await warm.GetAsync(path, Ct), System.Net.HttpStatusCode.OK);
                }
            }
        }

        var run = Guid.NewGuid().ToString("N")[..8];
        double down, up;
        IReadOnlyList<Outcome> outcomes;
        await using (var load = new LoadRun(node.Host.BaseAddress, users, Clients, run))
        {
            try
            {
                await Task.Delay(2000, Ct);
                await StackProcesses.StopAsync(dependency, Ct);
                down = load.NowMs;
                await Task.Delay(DownFor, Ct);
                await StackProcesses.StartAsync(dependency, Ct);
                up = load.NowMs;
                await Task.Delay(Recovery + TimeSpan.FromSeconds(3), Ct);
            }
            finally
            {
                await load.StopAsync();
                if (!await StackProcesses.AnswersAsync(dependency, CancellationToken.None))
                {
                    await StackProcesses.StartAsync(dependency, CancellationToken.None);
                }

                // The tests' own pooled connections died with the server: later tests must not get one.
                Npgsql.NpgsqlConnection.ClearAllPools();
            }

            outcomes = load.Outcomes;
            Report(dependency, outcomes, down, up);

            // Never a 500, a dropped connection or a hang; every failure is a 503 with {"error"} and Retry-After.
            var bad = outcomes.Where(o => o.Status is not (200 or 503) || (o.Status == 503 && (string.IsNullOrWhiteSpace(o.Error) || !o.RetryAfter))).ToList();
            Assert.True(bad.Count == 0, "unexpected answers:\n" + Describe(bad));

            // While down: failures come fast, and the fault was real (some request met it). A request that waited into
            // the return and failed after it counts under recovery below.
            var whileDown = outcomes.Where(o => o.StartedMs >= down && o.StartedMs + o.TookMs < up).ToList();
            var slow = whileDown.Where(o => o.Status != 200 && o.TookMs > FailFast.TotalMilliseconds).ToList();
            Assert.True(slow.Count == 0, $"requests slower than {FailFast.TotalSeconds} s while {dependency} was down:\n" + Describe(slow));
            Assert.Contains(whileDown, o => o.Status == 503);
            if (dependency == Dependency.Postfix)
            {
                // Reading mail needs no Postfix.
                var hurt = outcomes.Where(o => o.Op != "send" && o.Status != 200).ToList();
                Assert.True(hurt.Count == 0, "reads failed while only Postfix was down:\n" + Describe(hurt));
            }

            // Within 5 s of its return, everything succeeds again.
            var late = outcomes.Where(o => o.StartedMs > up + Recovery.TotalMilliseconds && o.Status != 200).ToList();
            Assert.True(late.Count == 0, $"failures more than {Recovery.TotalSeconds} s after {dependency} returned:\n" + Describe(late));

            // Every send that failed is retried with its key, as a client would, and succeeds once.
            var sends = outcomes.Where(o => o.Op == "send").GroupBy(o => o.Key!).ToDictionary(g => g.Key, g => g.Single());
            Assert.Contains(sends.Values, o => o.Status == 200);
            var answered = new Dictionary<string, string>();
            foreach (var (key, first) in sends)
            {
                var user = users[int.Parse(key.Split('-')[1], CultureInfo.InvariantCulture) % users.Count];
                var result = first;
                var deadline = DateTime.UtcNow.AddSeconds(15);
                while (result.Status != 200 && DateTime.UtcNow < deadline)
                {
                    // 409 "in progress": the failed attempt's claim is freed as soon as PostgreSQL takes the write.
                    await Task.Delay(result.Status == 409 ? 500 : 0, Ct);
                    result = await load.SendAsync(user, key);
                    Assert.True(result.Status is 200 or 503 || (result.Status == 409 && result.Error!.Contains("in progress", StringComparison.Ordinal)),
                        $"retry of {key}: {result.Status} {result.Error}");
                }

                Assert.True(result.Status == 200, $"retry of {key} still {result.Status} {result.Error}");
                answered[key] = result.MessageId!;
            }

            // A retry of a send that succeeded replays its answer: same Message-ID, nothing sent again.
            foreach (var key in sends.Where(s => s.Value.Status == 200).Select(s => s.Key).Take(5))
            {
                var user = users[int.Parse(key.Split('-')[1], CultureInfo.InvariantCulture) % users.Count];
                var replay = await load.SendAsync(user, key);
                Assert.Equal(200, replay.Status);
                Assert.Equal(answered[key], replay.MessageId);
            }

            await AssertDeliveredOnceAsync(sink.Address, run, answered);
        }
    }

    /// <summary>Every key in the recipient's INBOX exactly once, under the Message-ID the API answered; nothing else of the run.</summary>
    private static async Task AssertDeliveredOnceAsync(string mailbox, string run, Dictionary<string, string> answered)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Dictionary<string, List<string>> delivered;
        var flushed = DateTime.MinValue;
        while (true)
        {
            // Mail the stopped server deferred waits minutes for Postfix's next queue run: deliver it now.
            if (DateTime.UtcNow - flushed > TimeSpan.FromSeconds(3))
            {
                await StackProcesses.FlushMailQueueAsync();
                flushed = DateTime.UtcNow;
            }

            delivered = await DeliveredAsync(mailbox, run);
            if (answered.Keys.All(delivered.ContainsKey) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(500, Ct);
        }

        // A second copy, were there one, is out of Postfix's queue once nothing for the mailbox is queued: count again then.
        await StackProcesses.FlushMailQueueAsync();
        await Fayvad.Api.Tests.MailServer.MailProbe.SettledAsync(Ct, mailbox);
        delivered = await DeliveredAsync(mailbox, run);
        var missing = answered.Keys.Where(k => !delivered.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} sends answered 200 never arrived: {string.Join(", ", missing.Take(10))}");
        var twice = delivered.Where(d => d.Value.Count > 1).Select(d => $"{d.Key} x{d.Value.Count}").ToList();
        Assert.True(twice.Count == 0, "delivered more than once: " + string.Join(", ", twice));
        var unknown = delivered.Keys.Where(k => !answered.ContainsKey(k)).ToList();
        Assert.True(unknown.Count == 0, "delivered but never answered 200: " + string.Join(", ", unknown));
        foreach (var (key, messageId) in answered)
        {
            Assert.Equal(messageId, delivered[key][0]);
        }
    }

    private static async Task<Dictionary<string, List<string>>> DeliveredAsync(string mailbox, string run)
    {
        using var imap = await MailKitTestKit.OpenAsync(mailbox, Ct);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var summaries = imap.Inbox.Count == 0 ? [] : await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct);
        await imap.DisconnectAsync(true, Ct);
        return summaries.Select(s => (Subject: s.Envelope?.Subject ?? "", Id: "<" + s.Envelope?.MessageId + ">"))
            .Where(s => s.Subject.StartsWith("fault " + run + "-", StringComparison.Ordinal))
            .GroupBy(s => s.Subject["fault ".Length..])
            .ToDictionary(g => g.Key, g => g.Select(s => s.Id).ToList());
    }

    private static void Report(Dependency dependency, IReadOnlyList<Outcome> outcomes, double down, double up)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{dependency}: down at {down / 1000:0.0} s, back at {up / 1000:0.0} s; {outcomes.Count} requests");
        foreach (var group in outcomes.GroupBy(o => o.Op).OrderBy(g => g.Key))
        {
            var statuses = string.Join(" ", group.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));
            var lastFailure = group.Where(o => o.StartedMs >= up && o.Status != 200).Select(o => o.StartedMs + o.TookMs - up).DefaultIfEmpty(0).Max();
            text.AppendLine(CultureInfo.InvariantCulture, $"  {group.Key,-8} {statuses}  recovered {lastFailure / 1000:0.00} s after the return");
        }

        var sorted = outcomes.Select(o => o.TookMs).Order().ToArray();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  latency ms p50 {sorted[sorted.Length / 2]:0} p95 {sorted[(int)(sorted.Length * 0.95)]:0} p99 {sorted[(int)(sorted.Length * 0.99)]:0} max {sorted[^1]:0}");
        foreach (var error in outcomes.Where(o => o.Error is not null).GroupBy(o => $"{o.Op} {o.Status} {o.Error}").OrderByDescending(g => g.Count()).Take(8))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {error.Count()} x {error.Key}");
        }

        // Half-second buckets by start time: what the clients saw, when.
        foreach (var bucket in outcomes.GroupBy(o => (int)(o.StartedMs / 500)).OrderBy(g => g.Key))
        {
            var statuses = string.Join(" ", bucket.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"  t={bucket.Key / 2.0,5:0.0} s  {statuses}  slowest {bucket.Max(o => o.TookMs):0} ms");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
        Console.WriteLine(text.ToString());
        // A passing run shows no output: the figures also go to the stack's log folder.
        File.AppendAllText(Path.Combine(StackSettings.Get("STACK_DIR"), "log", "faults-under-load.log"),
            $"{DateTime.UtcNow:u} {text}");
    }

    private static string Describe(IEnumerable<Outcome> outcomes) => string.Join("\n", outcomes.Take(15).Select(o =>
        FormattableString.Invariant($"  {o.Op} at {o.StartedMs / 1000:0.00} s took {o.TookMs:0} ms: {o.Status} {o.Error} retry-after={o.RetryAfter}")));
}

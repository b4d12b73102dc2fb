using System.Collections.Concurrent;
using System.Globalization;
using Fayvad.Api.Tests.Faults;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Search;

namespace Fayvad.Api.Tests.Spam;

public enum Filter
{
    Rspamd,
    Redis,
    Clamd,
}

/// <summary>
/// A filter stopped by pid while mail arrives: every message Postfix answered 250 for is delivered (INBOX or Junk), the
/// rest got a 4xx and stays with its sender; nothing is lost (docs/adr/0035). Then the filter is started again.
/// Not beside other mail tests (it stops what they need): in the outage collection.
/// </summary>
[Collection(nameof(MailServerOutage))]
public sealed class FilterFaultTests(ApiFactory factory) : MailTest(factory)
{
    private static string StackDir => StackSettings.Get("STACK_DIR");

    [Theory]
    [InlineData(Filter.Rspamd)]
    [InlineData(Filter.Redis)]
    [InlineData(Filter.Clamd)]
    public async Task Stopped_under_load_nothing_answered_250_is_lost(Filter filter)
    {
        var box = await MailboxAsync("fault");
        var admin = await Api.AsAsync(box.Org.AdminUsername);
        await SpamFilter.ConfigureAsync(admin, box.Org.DomainId, box.Org.Domain, antispam: true, threshold: 5, Ct);
        // Only the clamd case scans for viruses: the others must not depend on how a clamd case before them ended.
        await SetAntivirusAsync(admin, box.Org.DomainId, filter == Filter.Clamd);

        // The antivirus change above restarts clamav-milter (it reads its allow list only at start): wait for it.
        await UntilMailFlowsAsync(box.Address);
        var accepted = new ConcurrentBag<string>();
        var deferred = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 3).Select(n => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var subject = string.Create(CultureInfo.InvariantCulture, $"load {filter} {n}-{i} {Guid.NewGuid():N}");
                var message = MailKitTestKit.Message("sender@partner.example", box.Address, subject, "Status report number " + i);
                try
                {
                    await MailKitTestKit.DeliverAsync(message, Ct);
                    accepted.Add(subject);
                }
                catch (SmtpCommandException e) when ((int)e.StatusCode is >= 400 and < 500)
                {
                    deferred.Add(subject);
                }

                await Task.Delay(50, Ct);
            }
        }, Ct)).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        await StopAsync(filter);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await StartAsync(filter);

        // Back means mail flows again: the next test (of any class) must not meet this outage's tail.
        await UntilMailFlowsAsync(box.Address);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        Assert.NotEmpty(accepted);
        var missing = await MissingAsync(box.Address, accepted.ToHashSet());
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {accepted.Count} accepted messages never arrived ({deferred.Count} were deferred): {string.Join(", ", missing.Take(5))}");
    }

    private static async Task SetAntivirusAsync(HttpClient admin, long domainId, bool antivirus) =>
        await TestApi.ReadAsync(await System.Net.Http.Json.HttpClientJsonExtensions.PatchAsJsonAsync(admin, $"{TestApi.Root}/domains/{domainId}/", new { antivirus }, Ct), System.Net.HttpStatusCode.OK);

    /// <summary>Returns once the inbound listener accepts a message for the mailbox (every milter answering), within 90 s.</summary>
    private static async Task UntilMailFlowsAsync(string address)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var probe = MailKitTestKit.Message("probe@partner.example", address, "probe " + Guid.NewGuid().ToString("N"), "Is mail flowing?");
            try
            {
                await MailKitTestKit.DeliverAsync(probe, Ct);
                return;
            }
            catch (SmtpCommandException e) when ((int)e.StatusCode is >= 400 and < 500 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, Ct);
            }
        }
    }

    /// <summary>The accepted subjects not in INBOX or Junk after up to 30 s.</summary>
    private static async Task<List<string>> MissingAsync(string address, HashSet<string> subjects)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var seen = new HashSet<string>();
            using (var imap = await MailKitTestKit.OpenAsync(address, Ct))
            {
                foreach (var name in new[] { "INBOX", "Junk" })
                {
                    var folder = name == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(name, Ct);
                    await folder.OpenAsync(FolderAccess.ReadOnly, Ct);
                    var uids = await folder.SearchAsync(SearchQuery.All, Ct);
                    if (uids.Count > 0)
                    {
                        foreach (var summary in await folder.FetchAsync(uids, MessageSummaryItems.Envelope, Ct))
                        {
                            seen.Add(summary.Envelope?.Subject ?? "");
                        }
                    }
                }

                await imap.DisconnectAsync(true, Ct);
            }

            var missing = subjects.Where(s => !seen.Contains(s)).ToList();
            if (missing.Count == 0 || DateTime.UtcNow > deadline)
            {
                return missing;
            }

            await StackProcesses.FlushMailQueueAsync();
            await Task.Delay(1000, Ct);
        }
    }

    private static string PidFile(Filter filter) => StackSettings.Get(filter switch
    {
        Filter.Rspamd => "RSPAMD_PID_FILE",
        Filter.Redis => "REDIS_PID_FILE",
        _ => "CLAMD_PID_FILE",
    });

    private static async Task StopAsync(Filter filter)
    {
        // Through cat: rspamd holds a lock on its pid file, which .NET's own open would wait on.
        var pid = int.Parse((await StackProcesses.RunAsync("cat", PidFile(filter))).Trim(), CultureInfo.InvariantCulture);
        await StackProcesses.RunAsync("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (System.IO.Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Each filter's own start command, as deploy/lib starts it; returns once it answers again.</summary>
    private static async Task StartAsync(Filter filter)
    {
        var dir = StackDir;
        var command = filter switch
        {
            Filter.Rspamd => $"rspamd -c '{dir}/rspamd/conf/rspamd.conf' -u _rspamd -g _rspamd --var 'LOCAL_CONFDIR={dir}/rspamd/conf' " +
                             $"--var 'DBDIR={dir}/rspamd/db' --var 'RUNDIR={dir}/rspamd/run'",
            Filter.Redis => $"runuser -u redis -- redis-server '{dir}/redis/redis.conf'",
            _ => $"rm -f '{dir}/clamav/run/clamd.sock'; clamd -c '{dir}/clamav/clamd.conf'",
        };
        await StackProcesses.RunAsync("bash", "-c", command + " </dev/null >/dev/null 2>&1");
        var port = filter switch
        {
            Filter.Rspamd => int.Parse(StackSettings.Get("RSPAMD_PORT"), CultureInfo.InvariantCulture),
            Filter.Redis => int.Parse(StackSettings.Get("REDIS_PORT"), CultureInfo.InvariantCulture),
            _ => 0,
        };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (port > 0 ? await StackProcesses.PortAnswersAsync(port, Ct) : File.Exists($"{dir}/clamav/run/clamd.sock"))
            {
                return;
            }

            await Task.Delay(200, Ct);
        }

        Assert.Fail($"{filter} did not come back within 60 s");
    }
}

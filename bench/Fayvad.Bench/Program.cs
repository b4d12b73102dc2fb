using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using Fayvad.Bench;
using MailKit.Net.Imap;

// Issue #5: the API against raw MailKit on a seeded 10,000-message INBOX, then a concurrency run. See bench/README.md.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var ct = cancel.Token;

var env = StackEnv.Load(options.StackEnvPath);
using var api = new ApiClient(env.ApiUrl, maxConnections: Math.Max(64, options.Clients * 2));
var process = ApiProcess.Find(env);

Console.WriteLine("## Fayvad mail API benchmark (issue #5)");
var mailKitVersion = typeof(ImapClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
Console.WriteLine(Fmt.Inv($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, MailKit {mailKitVersion}"));
var apiPid = process is null ? "not found" : process.Pid.ToString(CultureInfo.InvariantCulture)
    + (process.LauncherPid is { } launcher ? Fmt.Inv($", child of dotnet run pid {launcher}") : "");
Console.WriteLine($"API {env.ApiUrl} (pid {apiPid}), IMAP {env.ImapHost}:{env.ImapPort}, stack.env {env.Path}");

Console.WriteLine($"[bench] load average: {Quiet.LoadAverage()}");
var adminToken = await api.LoginAsync(env["DEMO_ORGADMIN_USER"], env["DEMO_ORGADMIN_PASSWORD"], ct);
var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
foreach (var mailbox in options.AllMailboxes())
{
    passwords[mailbox] = await api.EnsureMailboxAsync(adminToken, mailbox, quotaMb: 4096, ct);
    await Seeder.SeedAsync(env, options, mailbox, ct);
}

if (options.SeedOnly)
{
    return 0;
}

var benchToken = await api.LoginAsync(options.Mailbox, passwords[options.Mailbox], ct);
Console.WriteLine($"[bench] API process at start: {process?.MemoryLine() ?? "not found (no .stack/api.pid)"}");

// Ids of page 1 (newest 50): get-message rotates through them on both sides.
var page1 = await api.GetJsonAsync($"fayvad_api/email/messages/?folder=INBOX&page=1&limit={options.PageSize}&include_body=false", benchToken, ct);
var total = page1.GetProperty("total").GetInt32();
var page1Messages = page1.GetProperty("messages").EnumerateArray().ToList();
var ids = page1Messages.Select(m => m.GetProperty("id").GetString()!).ToList();
var uids = page1Messages.Select(m => m.GetProperty("uid").GetUInt32()).ToList();
if (total != options.Messages || ids.Count != options.PageSize)
{
    throw new InvalidOperationException($"API lists {total} messages / {ids.Count} on page 1; expected {options.Messages} / {options.PageSize}");
}

// BENCH_IMAP_LOG=path writes every command of the baseline connection there (to compare with the API's plan).
var baseline = await Baseline.OpenAsync(env, options.Mailbox, options.PageSize, ct, protocolLog: Environment.GetEnvironmentVariable("BENCH_IMAP_LOG"));
if (await baseline.ListAsync(1, bodies: false, ct) != ids.Count || baseline.Client.Inbox.Count != total)
{
    throw new InvalidOperationException("the baseline does not see the same INBOX page as the API");
}

// The best raw plan runs on a connection of its own, which keeps INBOX selected between calls.
await using var best = await Baseline.OpenAsync(env, options.Mailbox, options.PageSize, ct, keepSelected: true);
var goals = new List<(string Goal, string Measured, bool Met)>();

var word = options.SearchWord;
var limit = options.PageSize;
var scenarios = new List<Scenario>
{
    new("list page 1, summary", $"GET messages/?folder=INBOX&page=1&limit={limit}&include_body=false",
        (_, t) => Call($"fayvad_api/email/messages/?folder=INBOX&page=1&limit={limit}&include_body=false", t),
        (_, t) => baseline.ListAsync(1, bodies: false, t),
        (_, t) => best.BestListAsync(1, bodies: false, t), Goal: 2.0),
    new("list page 1, with bodies", $"GET messages/?folder=INBOX&page=1&limit={limit}&include_body=true",
        (_, t) => Call($"fayvad_api/email/messages/?folder=INBOX&page=1&limit={limit}&include_body=true", t),
        (_, t) => baseline.ListAsync(1, bodies: true, t),
        (_, t) => best.BestListAsync(1, bodies: true, t), Goal: 1.5),
    new($"list page {options.DeepPage}, summary", $"GET messages/?folder=INBOX&page={options.DeepPage}&limit={limit}&include_body=false",
        (_, t) => Call($"fayvad_api/email/messages/?folder=INBOX&page={options.DeepPage}&limit={limit}&include_body=false", t),
        (_, t) => baseline.ListAsync(options.DeepPage, bodies: false, t),
        (_, t) => best.BestListAsync(options.DeepPage, bodies: false, t)),
    new("folders", "GET folders/",
        (_, t) => Call("fayvad_api/email/folders/", t),
        (_, t) => baseline.FoldersAsync(t),
        (_, t) => best.BestFoldersAsync(t), Goal: 2.5),
    new("get-message", "GET messages/{id}/ (50 ids of page 1 in turn)",
        (i, t) => Call($"fayvad_api/email/messages/{ids[i % ids.Count]}/", t),
        (i, t) => baseline.GetMessageAsync(uids[i % uids.Count], t),
        (i, t) => best.BestGetMessageAsync(uids[i % uids.Count], t), Goal: 3.0),
    new("search INBOX, summary", $"GET search/?query={word}&folder=INBOX&limit={limit}&include_body=false",
        (_, t) => Call($"fayvad_api/email/search/?query={word}&folder=INBOX&limit={limit}&include_body=false", t),
        (_, t) => baseline.SearchInboxAsync(word, t)),
    new("search all folders, summary", $"GET search/?query={word}&limit={limit}&include_body=false",
        (_, t) => Call($"fayvad_api/email/search/?query={word}&limit={limit}&include_body=false", t),
        (_, t) => baseline.SearchAllFoldersAsync(word, t)),
};

await Quiet.WaitAsync(ct);
if (!options.SkipScenarios)
{
    Console.WriteLine();
    Console.WriteLine(Fmt.Inv($"### API vs raw MailKit, INBOX of {total} messages, page size {limit}: {options.Warmup} warmup calls per side for every scenario first, then {options.Iterations} measured calls per side, alternating"));
    Console.WriteLine("MailKit plan = the API's IMAP commands before issue #12 (EXAMINE every request) on one open, authenticated, warm connection in this process.");
    Console.WriteLine("best raw = the best raw MailKit plan for the same user-visible work on a second warm connection: INBOX kept selected (NOOP), only the items shown, bodies parsed and sanitized (see bench/README.md).");
    var warm = Stopwatch.StartNew();
    await ScenarioRunner.WarmupAsync(scenarios, options, baseline, best, ct);
    Console.WriteLine(Fmt.Inv($"[bench] warmup of all scenarios: {warm.Elapsed.TotalSeconds:F1} s"));
    var results = new List<ScenarioResult>();
    var machine = new Machine(env);
    foreach (var scenario in scenarios)
    {
        var clock = Stopwatch.StartNew();
        var before = machine.Take();
        var result = await ScenarioRunner.RunAsync(scenario, options, process, baseline, best, ct);
        var after = machine.Take();
        results.Add(result with { OtherCpuPercent = Machine.OtherPercent(before, after) });
        Console.WriteLine(Fmt.Inv($"[bench] {scenario.Name}: {clock.Elapsed.TotalSeconds:F1} s; CPU: {Machine.Describe(before, after)}"));
    }

    Console.WriteLine();
    Fmt.Table(
        ["scenario", "API mean", "API p50", "API p99", "plan p50", "best p50", "best p99", "API/plan p50", "API/best p50", "goal", "API CPU/op", "resp KB", "alloc KB/op HTTP", "alloc KB/op plan", "other CPU"],
        results.Select(r => (IReadOnlyList<string>)
        [
            r.Scenario.Name, Fmt.Ms(r.Api.Mean), Fmt.Ms(r.Api.P50), Fmt.Ms(r.Api.P99),
            Fmt.Ms(r.MailKit.P50), r.Best.Count == 0 ? "-" : Fmt.Ms(r.Best.P50), r.Best.Count == 0 ? "-" : Fmt.Ms(r.Best.P99),
            Fmt.Ratio(r.Api.P50, r.MailKit.P50), r.Best.Count == 0 ? "-" : Fmt.Ratio(r.Api.P50, r.Best.P50),
            r.Scenario.Goal is { } goal ? Fmt.Inv($"<= {goal:F1}x") + (r.Api.P50 <= goal * r.Best.P50 ? " met" : " NOT met") : "-",
            double.IsNaN(r.ApiCpuMsPerOp) ? "-" : Fmt.Ms(r.ApiCpuMsPerOp), Fmt.Kb(r.ApiBytesPerOp),
            Fmt.Kb(r.ApiClientAllocPerOp), Fmt.Kb(r.MailKitAllocPerOp), Fmt.Inv($"{r.OtherCpuPercent:F0} %"),
        ]),
        new HashSet<int> { 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14 });
    foreach (var r in results.Where(r => r.Scenario.Goal is not null && r.Best.Count > 0))
    {
        var ratio = r.Api.P50 / r.Best.P50;
        goals.Add((Fmt.Inv($"{r.Scenario.Name}: API p50 <= {r.Scenario.Goal:F1}x best raw p50"),
            Fmt.Inv($"{Fmt.Ms(r.Api.P50)} vs {Fmt.Ms(r.Best.P50)} ms = {ratio:F2}x"), ratio <= r.Scenario.Goal));
    }

    if (results.Any(r => r.OtherCpuPercent > 30))
    {
        Console.WriteLine("WARNING: other processes on the machine used more than 30 % of a core during some scenarios (\"other CPU\"): those rows are disturbed.");
    }

    if (results.Sum(r => r.ApiFailures + r.MailKitFailures) is > 0 and var failed)
    {
        Console.WriteLine(Fmt.Inv($"FAILED calls, left out of the timings: {failed} ({string.Join(", ", results.Where(r => r.ApiFailures + r.MailKitFailures > 0).Select(r => Fmt.Inv($"{r.Scenario.Name}: API {r.ApiFailures}, MailKit {r.MailKitFailures}")))})"));
    }

    Console.WriteLine("Times in ms. plan = MailKit issuing the API's plan of before issue #12; best = the best raw plan. API CPU/op = user+sys CPU time of the API process per call (/proc/<pid>/stat).");
    Console.WriteLine("resp KB = JSON body. alloc KB/op = managed allocations in this bench process: the HTTP client side, and MailKit doing the IMAP work.");
    Console.WriteLine("other CPU = kernel and processes outside this stack meanwhile, in % of one core (near 0 = an undisturbed measurement).");
    Console.WriteLine("Scenarios (API call -> the baseline's IMAP commands):");
    foreach (var r in results)
    {
        Console.WriteLine($"  {r.Scenario.Name}: {r.Scenario.Api}");
    }

}


// The load runs open their own connections.
var reconnects = baseline.Reconnects + best.Reconnects;
await baseline.DisposeAsync();
if (reconnects > 0)
{
    Console.WriteLine(Fmt.Inv($"[bench] WARNING: the baseline's IMAP connection was lost {reconnects} time(s) and reopened (another stack's test run kills dovecot-fayvad/imap processes machine-wide)"));
}

if (!options.SkipLoad)
{
    // The newest 200 messages of each mailbox, for get-message.
    async Task<(List<string> Ids, List<uint> Uids)> NewestAsync(string token)
    {
        var found = (Ids: new List<string>(), Uids: new List<uint>());
        for (var page = 1; page <= 4; page++)
        {
            var list = await api.GetJsonAsync($"fayvad_api/email/messages/?folder=INBOX&page={page}&limit=50&include_body=false", token, ct);
            foreach (var m in list.GetProperty("messages").EnumerateArray())
            {
                found.Ids.Add(m.GetProperty("id").GetString()!);
                found.Uids.Add(m.GetProperty("uid").GetUInt32());
            }
        }

        return found;
    }

    var benchNewest = await NewestAsync(benchToken);
    var load1 = await LoadTest.RunAsync("Load 1: API, one mailbox",
        Enumerable.Range(0, options.Clients).Select(_ => LoadTest.Http(api, options.Mailbox, benchToken, benchNewest.Ids)).ToList(),
        options, env, process, ct);

    // What the same mailbox gives over as many warm connections as the API may hold for one user, with no HTTP in between:
    // first issuing the API's plan of before issue #12, then the best raw plan (the goal's baseline).
    LoadTest.Outcome? bestLoad = null;
    foreach (var bestPlan in new[] { false, true })
    {
        var connections = new List<Baseline>();
        try
        {
            for (var i = 0; i < options.MailKitConnections; i++)
            {
                connections.Add(await Baseline.OpenAsync(env, options.Mailbox, 50, ct, keepSelected: bestPlan));
            }

            var outcome = await LoadTest.RunAsync(Fmt.Inv($"Load 1 baseline: raw MailKit, {options.MailKitConnections} warm connections to the same mailbox, same mix, no HTTP, {(bestPlan ? "best raw plan" : "the API's plan")}"),
                connections.Select(c => LoadTest.MailKit(c, options.Mailbox, benchNewest.Uids, bestPlan)).ToList(),
                options, env, process, ct);
            if (bestPlan)
            {
                bestLoad = outcome;
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    if (bestLoad is not null)
    {
        var ratio = load1.RequestsPerSecond / bestLoad.RequestsPerSecond;
        goals.Add((Fmt.Inv($"{options.Clients} clients, one mailbox: API req/s >= 0.9x raw best plan on {options.MailKitConnections} connections, 0 errors"),
            Fmt.Inv($"{load1.RequestsPerSecond:F1} vs {bestLoad.RequestsPerSecond:F1} req/s = {ratio:F2}x, {load1.Errors} errors"),
            ratio >= 0.9 && load1.Errors == 0));
    }

    var mailboxes = options.AllMailboxes();
    if (mailboxes.Count > 1)
    {
        var perMailbox = new List<(string Mailbox, string Token, List<string> Ids)>();
        foreach (var mailbox in mailboxes)
        {
            var token = mailbox == options.Mailbox ? benchToken : await api.LoginAsync(mailbox, passwords[mailbox], ct);
            perMailbox.Add((mailbox, token, mailbox == options.Mailbox ? benchNewest.Ids : (await NewestAsync(token)).Ids));
        }

        await LoadTest.RunAsync(Fmt.Inv($"Load 2: API, the same clients spread over {mailboxes.Count} mailboxes"),
            Enumerable.Range(0, options.Clients).Select(i => perMailbox[i % perMailbox.Count])
                .Select(m => LoadTest.Http(api, m.Mailbox, m.Token, m.Ids)).ToList(),
            options, env, process, ct);
    }
}

Console.WriteLine();
Console.WriteLine($"[bench] API process at the end: {process?.MemoryLine() ?? "-"}");
if (process is not null)
{
    var rss = process.Memory().RssKb;
    goals.Add(("API resident memory after all bench runs <= 250 MB", Fmt.Inv($"VmRSS {Fmt.Mb(rss)} MB"), rss <= 250 * 1024));
}

Console.WriteLine();
Console.WriteLine("### Goals of issue #12 (this run)");
Fmt.Table(["goal", "measured", "status"], goals.Select(g => (IReadOnlyList<string>)[g.Goal, g.Measured, g.Met ? "met" : "NOT met"]));
return 0;

async Task<long> Call(string path, CancellationToken t)
{
    var (status, bytes) = await api.GetAsync(path, benchToken, t);
    return status == HttpStatusCode.OK ? bytes : throw new ApiStatusException($"GET {path}: HTTP {(int)status}");
}

using System.Diagnostics;
using System.Globalization;

namespace Fayvad.PushBench;

/// <summary>The API process as seen from outside at one moment.</summary>
internal sealed record ApiSample(int Streams, long RssKb, long AnonKb, int Threads, int ImapConnections, int PgConnections);

/// <summary>
/// Measurement 3: what N users with an open event stream each cost the API process (memory, threads, CPU at idle) and
/// the servers behind it (IMAP connections and Dovecot processes, PostgreSQL connections).
/// </summary>
internal sealed class CostBench(Options options, StackEnv env, ApiClient api, HttpClient http, string runId, ApiProcess apiProcess, Report report)
{
    private readonly int _imapPort = env.GetInt("IMAP_PORT");
    private readonly int _pgPort = env.GetInt("PG_PORT");

    public async Task RunAsync(CancellationToken ct)
    {
        var n = options.Streams;
        report.Section($"4. Cost of {n} users with an open event stream each (API pid {apiProcess.Pid})");

        // A dedicated organization, so that the count of mailboxes and Dovecot sessions is exactly ours.
        var setup = Stopwatch.StartNew();
        var superadmin = await api.LoginAsync(env.Get("DEMO_SUPERADMIN_USER"), env.Get("DEMO_SUPERADMIN_PASSWORD"), ct);
        var adminPassword = ApiClient.NewPassword();
        var userPassword = ApiClient.NewPassword();
        var (orgId, domain) = await api.CreateOrganizationAsync(superadmin, "pushbench-" + runId, "admin", adminPassword, n, ct);
        var admin = await api.LoginAsync("admin@" + domain, adminPassword, ct);
        var users = Enumerable.Range(1, n).Select(i => $"u{i.ToString(n > 999 ? "0000" : "000", CultureInfo.InvariantCulture)}@{domain}").ToArray();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (user, token) => await api.CreateEmailAccountAsync(admin, user, userPassword, token));
        var created = setup.Elapsed;
        var tokens = new string[n];
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (i, token) => tokens[i] = await api.LoginAsync(users[i], userPassword, token));
        report.Line($"  organization {orgId} '{domain}': {n} mailboxes created in {created.TotalSeconds:0.0} s, "
                     + $"{n} logins in {(setup.Elapsed - created).TotalSeconds:0.0} s (passwords generated, not kept)");

        // No stream anywhere: wait for earlier watches (the latency phase's) to linger out.
        await api.MeAsync(tokens[0], ct);
        var quiet = await WaitForImapAsync(c => c == 0, TimeSpan.FromSeconds(60), ct);
        report.Line($"  before: API IMAP connections {Sample(0).ImapConnections} ({(quiet ? "none left from earlier phases" : "STILL OPEN after 60 s")})");
        var idle0 = await IdleCpuAsync(0, ct);
        await api.MeAsync(tokens[0], ct);
        var before = Sample(0);
        var pgBefore = PgBreakdown();

        // Open the streams, a step at a time, sampling memory after each step.
        var streams = new SseStream?[n];
        var failures = new List<string>();
        var openMs = new Samples("time to ': connected' per stream");
        var steps = new List<ApiSample> { before };
        var opening = Stopwatch.StartNew();
        for (var start = 0; start < n; start += options.Step)
        {
            var end = Math.Min(n, start + options.Step);
            await Parallel.ForEachAsync(Enumerable.Range(start, end - start),
                new ParallelOptions { MaxDegreeOfParallelism = options.OpenConcurrency, CancellationToken = ct },
                async (i, token) =>
                {
                    var t = Stopwatch.GetTimestamp();
                    try
                    {
                        streams[i] = await SseStream.OpenAsync(http, tokens[i], TimeSpan.FromSeconds(60), token);
                        lock (openMs)
                        {
                            openMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                        }
                    }
                    catch (Exception ex) when (ex is BenchException or HttpRequestException or IOException)
                    {
                        lock (failures)
                        {
                            failures.Add($"{users[i]}: {ex.Message}");
                        }
                    }
                });
            if (end < n)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                steps.Add(Sample(streams.Count(s => s is not null)));
            }
        }

        var openSeconds = opening.Elapsed.TotalSeconds;
        var open = streams.OfType<SseStream>().ToList();
        report.Line($"  opened {open.Count}/{n} streams in {openSeconds:0.0} s ({options.OpenConcurrency} at a time, steps of {options.Step}); failures: {failures.Count}");
        report.Line(Samples.Header);
        report.Line(openMs.Row());
        foreach (var failure in failures.Take(5))
        {
            report.Line("    failed: " + failure);
        }

        if (failures.Count > 0)
        {
            report.Anomaly($"{failures.Count} of {n} streams did not open: {failures[0]}");
        }

        await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds), ct);
        var after = Sample(open.Count);
        steps.Add(after);
        var pgAfter = PgBreakdown();
        var who = Probe.DovecotWho(env.Get("DOVECOT_CONF"));
        var ours = who.Where(s => s.User.EndsWith("@" + domain, StringComparison.OrdinalIgnoreCase) && s.Protocol == "imap").ToList();
        var dovecotPss = ours.SelectMany(s => s.Pids).Distinct().Sum(Probe.PssKb);
        var beats = open.Sum(s => s.Heartbeats);
        var idleN = await IdleCpuAsync(open.Count, ct);
        var beatsInWindow = open.Sum(s => s.Heartbeats) - beats;
        var ended = open.Where(s => s.Ended).ToList();

        // Close everything; the watches should end once their linger is over.
        var closing = Stopwatch.StartNew();
        await Task.WhenAll(open.Select(s => s.DisposeAsync().AsTask()));
        // Hints mode: what is left are the pool's idle connections, closed after Mail:Imap:IdleTimeout (2 min).
        var released = await WaitForImapAsync(c => c <= before.ImapConnections, TimeSpan.FromSeconds(180), ct);
        var releaseSeconds = closing.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var closed = Sample(0);

        // ---- figures
        report.Line("");
        report.Line($"  {"API process",-34} {"streams",8} {"VmRSS",10} {"RssAnon",10} {"threads",8} {"IMAP conn",10} {"PG conn",8}");
        for (var k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            var label = k == 0 ? "before streams" : k == steps.Count - 1 ? $"all open, after {options.SettleSeconds} s settling" : "step, after 5 s";
            report.Line($"  {label,-34} {s.Streams,8} "
                              + $"{Report.Mb(s.RssKb),10} {Report.Mb(s.AnonKb),10} {s.Threads,8} {s.ImapConnections,10} {s.PgConnections,8}");
        }

        report.Line($"  {$"all closed, +{releaseSeconds:0} s",-34} {0,8} {Report.Mb(closed.RssKb),10} {Report.Mb(closed.AnonKb),10} {closed.Threads,8} {closed.ImapConnections,10} {closed.PgConnections,8}");

        var perListener = (after.RssKb - before.RssKb) / (double)Math.Max(1, open.Count);
        var perListenerAnon = (after.AnonKb - before.AnonKb) / (double)Math.Max(1, open.Count);
        var slope = Slope(steps);
        report.Line("");
        report.Line($"  memory growth per listener: {perListener:0} KB VmRSS ({perListenerAnon:0} KB RssAnon) = (after - before) / {open.Count}; "
                    + $"least-squares slope over the {steps.Count} samples: {slope:0} KB/stream");
        report.Line($"  threads: {before.Threads} -> {after.Threads} ({(after.Threads - before.Threads) / (double)Math.Max(1, open.Count):0.00} per stream)");
        var maxPerUser = ours.Count == 0 ? 0 : ours.Max(s => s.Connections);
        // Issue #12: not one per user, at most the request pool's cap (Mail:Imap:MaxConnections, 200 by default).
        var imapPass = after.ImapConnections <= PoolCap && maxPerUser <= 1;
        var memoryPass = perListener <= 30;
        var cpuPass = idleN.Api <= 5;
        report.Line($"  IMAP connections held by the API (ss, API pid -> :{_imapPort}): {before.ImapConnections} before, {after.ImapConnections} with {open.Count} streams "
                    + $"({after.ImapConnections / (double)Math.Max(1, open.Count):0.00} per user); after closing: {closed.ImapConnections} "
                    + (released ? $"(released within {releaseSeconds:0} s; linger 15 s, pool idle timeout 2 min)" : "(NOT all released within 180 s)"));
        report.Line($"  doveadm who, the {n} bench users: {ours.Count} users connected, {ours.Sum(s => s.Connections)} imap connections, max {maxPerUser} per user; "
                    + $"{ours.SelectMany(s => s.Pids).Distinct().Count()} imap processes, PSS {Report.Mb(dovecotPss)} ({dovecotPss / (double)Math.Max(1, ours.Count):0} KB per user)");
        report.Line($"  PostgreSQL connections held by the API (ss, API pid -> :{_pgPort}): {before.PgConnections} before, {after.PgConnections} with {open.Count} streams, {closed.PgConnections} after closing");
        report.Line($"    pg_stat_activity of those before: {pgBefore}");
        report.Line($"    pg_stat_activity of those with streams: {pgAfter}");
        report.Line($"  CPU at idle, {options.IdleSeconds} s, % of one core:   {"API",8} {"Dovecot",8} {"Postgres",8}");
        report.Line($"    0 streams                             {idle0.Api,8:0.00} {idle0.Dovecot,8:0.00} {idle0.Postgres,8:0.00}");
        report.Line($"    {open.Count} streams                           {idleN.Api,8:0.00} {idleN.Dovecot,8:0.00} {idleN.Postgres,8:0.00}");
        report.Line($"  heartbeats received in the {options.IdleSeconds} s window: {beatsInWindow} ({beatsInWindow / (double)Math.Max(1, open.Count):0.00} per stream); streams ended by the server: {ended.Count}");
        if (ended.Count > 0)
        {
            report.Anomaly($"{ended.Count} streams ended while idle: {ended[0].Error}");
        }

        if (!imapPass)
        {
            report.Anomaly($"IMAP connections above one per user: {after.ImapConnections} for {open.Count} streams, max {maxPerUser} per user");
        }

        if (!released)
        {
            report.Anomaly($"IMAP connections not released 180 s after the streams closed: {closed.ImapConnections}");
        }

        report.Summary($"{open.Count} streams: IMAP connections {after.ImapConnections} (max {maxPerUser} per user); target <= the pool's cap ({PoolCap}): {(imapPass ? "PASS" : "FAIL")}");
        report.Summary($"{open.Count} streams: memory growth {perListener:0} KB per listener (VmRSS {Report.Mb(before.RssKb)} -> {Report.Mb(after.RssKb)}; slope {slope:0} KB); target <= 30 KB: {(memoryPass ? "PASS" : "FAIL")}");
        report.Summary($"{open.Count} streams: idle CPU {idleN.Api:0.00}% of a core (0 streams: {idle0.Api:0.00}%); target <= 5 %: {(cpuPass ? "PASS" : "FAIL")}; PG connections {after.PgConnections} (before {before.PgConnections})");
    }

    private const int PoolCap = 200;

    private ApiSample Sample(int streams)
    {
        var (rss, anon, threads) = Probe.Memory(apiProcess.Pid);
        var connections = Probe.Established().Where(c => c.Pid == apiProcess.Pid).ToList();
        return new ApiSample(streams, rss, anon, threads, connections.Count(c => c.PeerPort == _imapPort), connections.Count(c => c.PeerPort == _pgPort));
    }

    /// <summary>State of the API's own PostgreSQL sessions (matched by client port), e.g. "idle 12, idle (LISTEN) 1".</summary>
    private string PgBreakdown()
    {
        var ports = Probe.Established().Where(c => c.Pid == apiProcess.Pid && c.PeerPort == _pgPort).Select(c => c.LocalPort).ToList();
        if (ports.Count == 0)
        {
            return "none";
        }

        var rows = Probe.Sql(env.Get("DATABASE_URL"), $"""
            SELECT coalesce(state, '?') || CASE WHEN query ILIKE 'listen %' THEN ' (LISTEN)' ELSE '' END, count(*)
            FROM pg_stat_activity WHERE client_port IN ({string.Join(',', ports)}) GROUP BY 1 ORDER BY 1
            """);
        var total = Probe.Sql(env.Get("DATABASE_URL"),
            "SELECT count(*) - 1, current_setting('max_connections') FROM pg_stat_activity WHERE backend_type = 'client backend'");
        return string.Join(", ", rows.Select(r => $"{r[0]} {r[1]}"))
               + $" (server: {total[0][0]} client backends besides this query, max_connections {total[0][1]})";
    }

    private async Task<bool> WaitForImapAsync(Func<int, bool> done, TimeSpan limit, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!done(Sample(0).ImapConnections))
        {
            if (deadline.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(1000, ct);
        }

        return true;
    }

    /// <summary>CPU used (utime + stime) over the idle window by the API, all of Dovecot and all of PostgreSQL, in % of one core.</summary>
    private async Task<(double Api, double Dovecot, double Postgres)> IdleCpuAsync(int streams, CancellationToken ct)
    {
        Console.Error.WriteLine($"[bench] idle CPU window, {streams} streams, {options.IdleSeconds} s");
        var dovecot = Probe.ReadPidFile(Path.Combine(env.Get("STACK_DIR"), "dovecot", "run", "master.pid"));
        var postgres = Probe.ReadPidFile(Path.Combine(env.Get("STACK_DIR"), "pg", "data", "postmaster.pid"));
        var apiStart = Probe.CpuTicks(apiProcess.Pid) ?? 0;
        var dovecotStart = TreeTicks(dovecot);
        var pgStart = TreeTicks(postgres);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        var apiEnd = Probe.CpuTicks(apiProcess.Pid) ?? 0;
        var dovecotEnd = TreeTicks(dovecot);
        var pgEnd = TreeTicks(postgres);
        double Percent(long ticks) => ticks * 100.0 / Probe.ClockTicksPerSecond / seconds;
        return (Percent(apiEnd - apiStart), Percent(Delta(dovecotStart, dovecotEnd)), Percent(Delta(pgStart, pgEnd)));
    }

    private static Dictionary<int, long> TreeTicks(int? root) =>
        root is { } pid && Probe.Alive(pid)
            ? Probe.Tree(pid).Select(p => (p, t: Probe.CpuTicks(p))).Where(x => x.t is not null).ToDictionary(x => x.p, x => x.t!.Value)
            : [];

    /// <summary>Over the processes alive at both ends (one that came and went within the window is not seen).</summary>
    private static long Delta(Dictionary<int, long> start, Dictionary<int, long> end) =>
        end.Where(e => start.ContainsKey(e.Key)).Sum(e => e.Value - start[e.Key]);

    private static double Slope(List<ApiSample> samples)
    {
        if (samples.Count < 2)
        {
            return double.NaN;
        }

        var mx = samples.Average(s => (double)s.Streams);
        var my = samples.Average(s => (double)s.RssKb);
        var sxx = samples.Sum(s => (s.Streams - mx) * (s.Streams - mx));
        return sxx == 0 ? double.NaN : samples.Sum(s => (s.Streams - mx) * (s.RssKb - my)) / sxx;
    }
}

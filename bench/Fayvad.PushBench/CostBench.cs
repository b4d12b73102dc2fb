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
        var warm = options.WarmupStreams;
        var (orgId, domain) = await api.CreateOrganizationAsync(superadmin, "pushbench-" + runId, "admin", adminPassword, n + warm, ct);
        var admin = await api.LoginAsync("admin@" + domain, adminPassword, ct);
        var users = Enumerable.Range(1, n).Select(i => $"u{i.ToString(n > 999 ? "0000" : "000", CultureInfo.InvariantCulture)}@{domain}").ToArray();
        var warmUsers = Enumerable.Range(1, warm).Select(i => $"w{i.ToString("000", CultureInfo.InvariantCulture)}@{domain}").ToArray();
        await Parallel.ForEachAsync(users.Concat(warmUsers), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (user, token) => await api.CreateEmailAccountAsync(admin, user, userPassword, token));
        var created = setup.Elapsed;
        var tokens = new string[n];
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (i, token) => tokens[i] = await api.LoginAsync(users[i], userPassword, token));
        var warmTokens = new string[warm];
        await Parallel.ForEachAsync(Enumerable.Range(0, warm), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (i, token) => warmTokens[i] = await api.LoginAsync(warmUsers[i], userPassword, token));
        report.Line($"  organization {orgId} '{domain}': {n + warm} mailboxes created in {created.TotalSeconds:0.0} s, "
                     + $"{n} logins in {(setup.Elapsed - created).TotalSeconds:0.0} s (passwords generated, not kept)");

        // No stream anywhere: wait for earlier watches (the latency phase's) to linger out.
        await api.MeAsync(tokens[0], ct);
        var quiet = await WaitForImapAsync(c => c == 0, TimeSpan.FromSeconds(60), ct);
        report.Line($"  before: API IMAP connections {Sample(0).ImapConnections} ({(quiet ? "none left from earlier phases" : "STILL OPEN after 60 s")}); "
                    + $"open files allowed: bench {Probe.OpenFilesLimit(Environment.ProcessId)}, API {Probe.OpenFilesLimit(apiProcess.Pid)}");
        await api.MeAsync(tokens[0], ct);
        var cold = Sample(0);
        if (warm > 0)
        {
            // One-time costs (JIT of the stream paths to tier 1, the pool's first connections) paid by other users'
            // streams, so that what is measured below is what each further stream costs.
            Console.Error.WriteLine($"[bench] warm-up: {warm} streams of other users, held 20 s (a heartbeat), then closed");
            var warming = await Task.WhenAll(warmTokens.Select(t => SseStream.OpenAsync(http, t, TimeSpan.FromSeconds(60), ct)));
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            await Task.WhenAll(warming.Select(s => s.DisposeAsync().AsTask()));
            var settled = await WaitForImapAsync(c => c == 0, TimeSpan.FromSeconds(180), ct);
            report.Line($"  warm-up: {warm} streams of other users opened, held 20 s and closed; IMAP pool {(settled ? "empty again" : "STILL HOLDING connections after 180 s")}; "
                        + $"VmRSS cold {Report.Mb(cold.RssKb)}, warm {Report.Mb(Sample(0).RssKb)}");
        }

        await api.MeAsync(tokens[0], ct);
        var zero = await CheckpointAsync(0, [], ct);
        var before = zero.Sample;
        var pgBefore = PgBreakdown();

        // Open the streams, a step at a time, sampling memory after each step; at each checkpoint (and at N) settle,
        // then measure the managed heap after a full GC, memory, and CPU at idle.
        var checkpoints = options.Checkpoints.Where(c => c < n).Append(n).Distinct().Order().ToList();
        var measured = new List<Checkpoint> { zero };
        var streams = new SseStream?[n];
        var failures = new List<string>();
        var openMs = new Samples("time to ': connected' per stream");
        var steps = new List<ApiSample> { before };
        var opening = Stopwatch.StartNew();
        var openSeconds = 0.0;
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
            if (checkpoints.Count > 0 && end >= checkpoints[0])
            {
                checkpoints.RemoveAt(0);
                if (end == n)
                {
                    openSeconds = opening.Elapsed.TotalSeconds;
                }

                var point = await CheckpointAsync(streams.Count(s => s is not null), streams, ct);
                measured.Add(point);
                steps.Add(point.Sample);
            }
            else if (end < n)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                steps.Add(Sample(streams.Count(s => s is not null)));
            }
        }

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

        var after = measured[^1].Sample;
        var pgAfter = PgBreakdown();
        var who = Probe.DovecotWho(env.Get("DOVECOT_CONF"));
        var ours = who.Where(s => s.User.EndsWith("@" + domain, StringComparison.OrdinalIgnoreCase) && s.Protocol == "imap").ToList();
        var dovecotPss = ours.SelectMany(s => s.Pids).Distinct().Sum(Probe.PssKb);

        // The same streams, idle past the IMAP pool's idle timeout: by then the pool has closed the connections their
        // first sync passes opened (an idle stream holds none), which the checkpoint just taken still counts.
        Checkpoint? poolIdle = null;
        var poolClosed = false;
        var poolWait = 0.0;
        if (options.PoolIdleSeconds > 0 && open.Count > 0)
        {
            Console.Error.WriteLine($"[bench] waiting up to {options.PoolIdleSeconds} s for the IMAP pool to close the first passes' connections");
            var waiting = Stopwatch.StartNew();
            poolClosed = await WaitForImapAsync(c => c <= before.ImapConnections, TimeSpan.FromSeconds(options.PoolIdleSeconds), ct);
            poolWait = waiting.Elapsed.TotalSeconds;
            poolIdle = await CheckpointAsync(streams.Count(s => s is not null), streams, ct, settleSeconds: 5);
        }

        var ended = open.Where(s => s.Ended).ToList();
        if (options.HoldSeconds > 0)
        {
            Console.Error.WriteLine($"[bench] holding {open.Count} streams open for {options.HoldSeconds} s (API pid {apiProcess.Pid})");
            await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds), ct);
        }

        // Close everything; the watches should end once their linger is over.
        var closing = Stopwatch.StartNew();
        await Task.WhenAll(open.Select(s => s.DisposeAsync().AsTask()));
        // Hints mode: what is left are the pool's idle connections, closed after Mail:Imap:IdleTimeout (2 min).
        var released = await WaitForImapAsync(c => c <= before.ImapConnections, TimeSpan.FromSeconds(180), ct);
        var releaseSeconds = closing.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var closed = Sample(0);
        var closedHeap = await HeapAsync(ct);

        // ---- figures
        report.Line("");
        report.Line($"  {"API process",-34} {"streams",8} {"VmRSS",10} {"RssAnon",10} {"threads",8} {"IMAP conn",10} {"PG conn",8}");
        for (var k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            var label = k == 0 ? "before streams" : measured.Any(m => ReferenceEquals(m.Sample, s)) ? $"checkpoint, after {options.SettleSeconds} s settling" : "step, after 5 s";
            report.Line($"  {label,-34} {s.Streams,8} "
                              + $"{Report.Mb(s.RssKb),10} {Report.Mb(s.AnonKb),10} {s.Threads,8} {s.ImapConnections,10} {s.PgConnections,8}");
        }

        if (poolIdle is { } idleRow)
        {
            var s = idleRow.Sample;
            report.Line($"  {$"IMAP pool closed, +{poolWait:0} s, +5 s",-34} {s.Streams,8} "
                        + $"{Report.Mb(s.RssKb),10} {Report.Mb(s.AnonKb),10} {s.Threads,8} {s.ImapConnections,10} {s.PgConnections,8}");
        }

        report.Line($"  {$"all closed, +{releaseSeconds:0} s",-34} {0,8} {Report.Mb(closed.RssKb),10} {Report.Mb(closed.AnonKb),10} {closed.Threads,8} {closed.ImapConnections,10} {closed.PgConnections,8}");

        // Per stream: growth since "before streams" / open streams. The managed heap is measured after a full blocking GC.
        report.Line("");
        report.Line($"  per open stream, growth since 0 streams / streams; idle CPU over {options.IdleSeconds} s in % of one core (load average at the window's end)");
        report.Line($"  {"when",-18} {"streams",8} {"VmRSS KB",9} {"RssAnon KB",10} {"heap KB",8} {"heap MB",8} {"GC handles",10} {"threads",8} {"IMAP",5} {"API CPU",8} {"Dovecot",8} {"Postgres",8} {"beats",6} {"load avg",16}");
        foreach (var (m, when) in measured.Select(m => (m, "checkpoint")).Concat(poolIdle is { } p ? [(p, "IMAP pool closed")] : []))
        {
            var per = (double)Math.Max(1, m.Sample.Streams);
            string PerStream(long value, long baseline) => m.Sample.Streams == 0 ? "-" : ((value - baseline) / per).ToString("0.0", CultureInfo.InvariantCulture);
            report.Line($"  {when,-18} {m.Sample.Streams,8} {PerStream(m.Sample.RssKb, before.RssKb),9} {PerStream(m.Sample.AnonKb, before.AnonKb),10} "
                        + $"{(m.Heap is { } h && zero.Heap is { } h0 ? PerStream(h.HeapKb, h0.HeapKb) : "?"),8} {(m.Heap is { } hm ? Report.Mb(hm.HeapKb) : "?"),8} "
                        + $"{m.Heap?.Handles.ToString(CultureInfo.InvariantCulture) ?? "?",10} {m.Sample.Threads,8} {m.Sample.ImapConnections,5} "
                        + $"{m.Cpu.Api,8:0.00} {m.Cpu.Dovecot,8:0.00} {m.Cpu.Postgres,8:0.00} {m.Beats,6} {m.Load,16}");
        }

        report.Line($"  all closed: managed heap {(closedHeap is { } hc ? Report.Mb(hc.HeapKb) : "?")}, GC handles {closedHeap?.Handles.ToString(CultureInfo.InvariantCulture) ?? "?"}");
        var last = measured[^1];
        var perListener = (after.RssKb - before.RssKb) / (double)Math.Max(1, open.Count);
        var perListenerAnon = (after.AnonKb - before.AnonKb) / (double)Math.Max(1, open.Count);
        var heapPer = last.Heap is { } lh && zero.Heap is { } zh ? (lh.HeapKb - zh.HeapKb) / (double)Math.Max(1, open.Count) : double.NaN;
        var slope = Slope(steps);
        report.Line("");
        report.Line($"  memory growth per listener: {perListener:0} KB VmRSS ({perListenerAnon:0} KB RssAnon, {heapPer:0.0} KB managed heap after a full GC) = (after - before) / {open.Count}; "
                    + $"least-squares slope over the {steps.Count} samples: {slope:0} KB/stream");
        var idleFigure = poolIdle is { } pi && poolClosed ? pi : null;
        var perIdle = double.NaN;
        if (poolIdle is { } pm)
        {
            perIdle = (pm.Sample.RssKb - before.RssKb) / (double)Math.Max(1, open.Count);
            var perIdleAnon = (pm.Sample.AnonKb - before.AnonKb) / (double)Math.Max(1, open.Count);
            var heapIdle = pm.Heap is { } ih && zero.Heap is { } zh0 ? (ih.HeapKb - zh0.HeapKb) / (double)Math.Max(1, open.Count) : double.NaN;
            report.Line($"  idle past the IMAP pool's idle timeout ({(poolClosed ? $"its {after.ImapConnections} connections closed {poolWait:0} s after the last checkpoint" : $"STILL {pm.Sample.ImapConnections} IMAP connections after {options.PoolIdleSeconds} s")}): "
                        + $"{perIdle:0} KB VmRSS ({perIdleAnon:0} KB RssAnon, {heapIdle:0.0} KB managed heap after a full GC) per stream; idle CPU {pm.Cpu.Api:0.00}% of a core");
        }

        report.Line($"  threads: {before.Threads} -> {after.Threads} ({(after.Threads - before.Threads) / (double)Math.Max(1, open.Count):0.00} per stream)");
        var maxPerUser = ours.Count == 0 ? 0 : ours.Max(s => s.Connections);
        // Issue #12: not one per user, at most the request pool's cap (Mail:Imap:MaxConnections, 200 by default).
        var imapPass = after.ImapConnections <= PoolCap && maxPerUser <= 1;
        // Judged per idle stream: once the pool has closed what the first passes opened (a stream open longer than the
        // pool's idle timeout holds no IMAP connection); without that figure, on the one taken right after opening.
        var judged = idleFigure is not null ? perIdle : perListener;
        var memoryPass = judged <= 30;
        var cpuPass = last.Cpu.Api <= 5;
        report.Line($"  IMAP connections held by the API (ss, API pid -> :{_imapPort}): {before.ImapConnections} before, {after.ImapConnections} with {open.Count} streams "
                    + $"({after.ImapConnections / (double)Math.Max(1, open.Count):0.00} per user); after closing: {closed.ImapConnections} "
                    + (released ? $"(released within {releaseSeconds:0} s; linger 15 s, pool idle timeout 2 min)" : "(NOT all released within 180 s)"));
        report.Line($"  doveadm who, the {n} bench users: {ours.Count} users connected, {ours.Sum(s => s.Connections)} imap connections, max {maxPerUser} per user; "
                    + $"{ours.SelectMany(s => s.Pids).Distinct().Count()} imap processes, PSS {Report.Mb(dovecotPss)} ({dovecotPss / (double)Math.Max(1, ours.Count):0} KB per user)");
        report.Line($"  PostgreSQL connections held by the API (ss, API pid -> :{_pgPort}): {before.PgConnections} before, {after.PgConnections} with {open.Count} streams, {closed.PgConnections} after closing");
        report.Line($"    pg_stat_activity of those before: {pgBefore}");
        report.Line($"    pg_stat_activity of those with streams: {pgAfter}");
        report.Line($"  streams ended by the server: {ended.Count}");
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
        report.Line($"  since the cold start (before the warm-up, VmRSS {Report.Mb(cold.RssKb)}): {(after.RssKb - cold.RssKb) / (double)Math.Max(1, open.Count):0} KB VmRSS per stream at the last checkpoint"
                    + (poolIdle is { } cp ? $", {(cp.Sample.RssKb - cold.RssKb) / (double)Math.Max(1, open.Count):0} KB idle past the pool's timeout" : ""));
        var current = $"{perListener:0} KB per listener {options.SettleSeconds} s after opening, with the {after.ImapConnections} pooled IMAP connections of their first passes still open "
                      + $"(VmRSS {Report.Mb(before.RssKb)} -> {Report.Mb(after.RssKb)}; slope {slope:0} KB; managed heap {heapPer:0.0} KB per stream)";
        report.Summary(idleFigure is { } judgedRow
            ? $"{open.Count} streams: memory {perIdle:0} KB per idle stream, judged once idle past the IMAP pool's idle timeout, when those connections are closed "
              + $"(an idle stream holds none; VmRSS {Report.Mb(before.RssKb)} -> {Report.Mb(judgedRow.Sample.RssKb)}); also {current}; target <= 30 KB: {(memoryPass ? "PASS" : "FAIL")}"
            : $"{open.Count} streams: memory growth {current}, judged on this figure (the pool's connections were not seen closed); target <= 30 KB: {(memoryPass ? "PASS" : "FAIL")}");
        report.Summary($"{open.Count} streams: idle CPU {last.Cpu.Api:0.00}% of a core (0 streams: {zero.Cpu.Api:0.00}%; load average {last.Load}); target <= 5 %: {(cpuPass ? "PASS" : "FAIL")}; "
                       + $"PG connections {after.PgConnections} (before {before.PgConnections})");
    }

    /// <summary>What was measured with some streams open and idle.</summary>
    private sealed record Checkpoint(ApiSample Sample, GcHeap? Heap, (double Api, double Dovecot, double Postgres) Cpu, int Beats, string Load);

    /// <summary>Settle, managed heap after a full GC, a memory sample, then CPU over the idle window.</summary>
    private async Task<Checkpoint> CheckpointAsync(int streams, SseStream?[] open, CancellationToken ct, int? settleSeconds = null)
    {
        if (streams > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(settleSeconds ?? options.SettleSeconds), ct);
        }

        var heap = await HeapAsync(ct);
        var sample = Sample(streams);
        var beats = open.Sum(s => s?.Heartbeats ?? 0);
        var cpu = await IdleCpuAsync(streams, ct);
        var load = File.ReadAllText("/proc/loadavg").Split(' ') is { Length: >= 3 } parts ? $"{parts[0]} {parts[1]} {parts[2]}" : "?";
        return new Checkpoint(sample, heap, cpu, open.Sum(s => s?.Heartbeats ?? 0) - beats, load);
    }

    private async Task<GcHeap?> HeapAsync(CancellationToken ct)
    {
        try
        {
            return await GcProbe.CollectAsync(apiProcess.Pid, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException
                                       or Microsoft.Diagnostics.NETCore.Client.ServerNotAvailableException)
        {
            report.Anomaly($"managed heap not measured (diagnostics socket of pid {apiProcess.Pid}): {ex.Message}");
            return null;
        }
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

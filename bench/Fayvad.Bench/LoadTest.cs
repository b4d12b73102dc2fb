using System.Diagnostics;
using System.Globalization;

namespace Fayvad.Bench;

/// <summary>
/// One load client: does operation <c>op</c> (0 list summary, 1 get-message, 2 folders) and returns a status ("200", or an
/// error). <see cref="HasMessages"/> false turns get-message into list (an empty INBOX has nothing to get).
/// </summary>
internal sealed record LoadClient(string Label, bool HasMessages, Func<int, Random, CancellationToken, Task<(string Status, string? Detail)>> Do);

/// <summary>
/// N concurrent clients for a fixed time, each looping over a mix: 50 % list INBOX summary (a random page of the first
/// 20, limit 50), 30 % get-message (a random one of the newest 200), 20 % folders. Prints throughput, latency percentiles,
/// errors by status, the API's memory, its CPU, the whole machine's CPU and the IMAP connections the API holds.
/// </summary>
internal static class LoadTest
{
    public const int Pages = 20;
    private static readonly string[] Ops = ["list summary", "get-message", "folders"];

    /// <summary>A client of the API over HTTP (the load clients share one HttpClient, one keep-alive connection each).</summary>
    public static LoadClient Http(ApiClient api, string label, string token, IReadOnlyList<string> ids) =>
        new(label, ids.Count > 0, async (op, rng, ct) =>
        {
            var path = op switch
            {
                0 => Fmt.Inv($"fayvad_api/email/messages/?folder=INBOX&page={rng.Next(1, Pages + 1)}&limit=50&include_body=false"),
                1 => $"fayvad_api/email/messages/{ids[rng.Next(ids.Count)]}/",
                _ => "fayvad_api/email/folders/",
            };
            using var request = ApiClient.Authorized(HttpMethod.Get, path, token);
            using var response = await api.Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            return (status, response.IsSuccessStatusCode ? null : status + " " + (body.Length > 160 ? body[..160] : body));
        });

    /// <summary>
    /// A raw MailKit client on its own warm connection doing, for each operation, the IMAP work of the API's plan (before
    /// issue #12) or, with <paramref name="best"/>, the best raw plan (folder kept selected, minimal items, bodies sanitized).
    /// </summary>
    public static LoadClient MailKit(Baseline baseline, string label, IReadOnlyList<uint> uids, bool best = false) =>
        new(label, uids.Count > 0, async (op, rng, ct) =>
        {
            try
            {
                _ = (op, best) switch
                {
                    (0, false) => await baseline.ListAsync(rng.Next(1, Pages + 1), bodies: false, ct),
                    (0, true) => await baseline.BestListAsync(rng.Next(1, Pages + 1), bodies: false, ct),
                    (1, false) => await baseline.GetMessageAsync(uids[rng.Next(uids.Count)], ct),
                    (1, true) => await baseline.BestGetMessageAsync(uids[rng.Next(uids.Count)], ct),
                    (_, false) => await baseline.FoldersAsync(ct),
                    (_, true) => await baseline.BestFoldersAsync(ct),
                };
                return ("200", null);
            }
            catch (Exception ex) when (Baseline.IsConnectionFault(ex))
            {
                // Counted as an error; the next call gets a fresh connection.
                await baseline.ReconnectAsync(ct);
                return (ex.GetType().Name, ex.GetType().Name + ": " + ex.Message);
            }
        });

    /// <summary>What a run gave: requests per second and how many were not 200.</summary>
    public sealed record Outcome(double RequestsPerSecond, int Errors, int Requests);

    public static async Task<Outcome> RunAsync(string title, IReadOnlyList<LoadClient> clients, BenchOptions options, StackEnv env, ApiProcess? process, CancellationToken ct)
    {
        await Quiet.WaitAsync(ct);
        Console.WriteLine();
        var byLabel = string.Join(", ", clients.GroupBy(c => c.Label).Select(g => $"{g.Key} x{g.Count()}"));
        Console.WriteLine(Fmt.Inv($"### {title}: {clients.Count} concurrent clients for {options.LoadSeconds} s ({byLabel})"));
        Console.WriteLine(Fmt.Inv($"mix: 50 % list INBOX summary (random page 1-{Pages}, limit 50), 30 % get-message (random of the newest 200), 20 % folders"));
        var memoryBefore = process?.Memory();
        var imapBefore = process?.ImapConnections(env.ImapPort) ?? -1;
        var machine = new Machine(env);
        var machineBefore = machine.Take();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var samples = new List<(int Imap, long RssKb)>();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (process is not null)
                {
                    samples.Add((process.ImapConnections(env.ImapPort), process.Memory().RssKb));
                }

                try
                {
                    await Task.Delay(250, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        var deadline = Stopwatch.GetTimestamp() + (long)(options.LoadSeconds * (double)Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var workers = clients.Select((client, index) => Task.Run(() => WorkerAsync(client, index, deadline, ct), ct)).ToArray();
        var results = (await Task.WhenAll(workers)).SelectMany(r => r).ToList();
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;

        var memoryAfter = process?.Memory();
        var imapAfter = process?.ImapConnections(env.ImapPort) ?? -1;
        var machineAfter = machine.Take();

        var ok = results.Count(r => r.Status == "200");
        Console.WriteLine(Fmt.Inv($"requests {results.Count} in {elapsed:F1} s = {results.Count / elapsed:F1} req/s; OK {ok}, errors {results.Count - ok}"));
        Console.WriteLine();
        var rows = new List<IReadOnlyList<string>> { Row("all", results.Count, Stats.Of(results.Select(r => r.Ms).ToList())) };
        for (var op = 0; op < Ops.Length; op++)
        {
            var mine = results.Where(r => r.Op == op).Select(r => r.Ms).ToList();
            rows.Add(Row(Ops[op], mine.Count, Stats.Of(mine)));
        }

        if (clients.Select(c => c.Label).Distinct().Count() > 1)
        {
            foreach (var group in results.GroupBy(r => r.Label))
            {
                rows.Add(Row("all, " + group.Key, group.Count(), Stats.Of(group.Select(r => r.Ms).ToList())));
            }
        }

        Fmt.Table(["operation", "requests", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows, new HashSet<int> { 1, 2, 3, 4, 5, 6 });
        Console.WriteLine();
        Console.WriteLine("responses by status: " + string.Join(", ", results.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} x{g.Count()}")));
        foreach (var failure in results.Where(r => r.Detail is not null).GroupBy(r => r.Detail).Take(5))
        {
            Console.WriteLine(Fmt.Inv($"  e.g. {failure.Key} (x{failure.Count()})"));
        }

        Console.WriteLine("CPU: " + Machine.Describe(machineBefore, machineAfter));
        if (process is not null && memoryBefore is { } before && memoryAfter is { } after)
        {
            Console.WriteLine(Fmt.Inv($"API memory (pid {process.Pid}) before: VmRSS {Fmt.Mb(before.RssKb)} MB, VmHWM {Fmt.Mb(before.HwmKb)} MB, {before.Threads} threads"));
            Console.WriteLine(Fmt.Inv($"API memory (pid {process.Pid}) after:  VmRSS {Fmt.Mb(after.RssKb)} MB, VmHWM {Fmt.Mb(after.HwmKb)} MB, {after.Threads} threads (max VmRSS sampled during the run {Fmt.Mb(samples.Count == 0 ? 0 : samples.Max(s => s.RssKb))} MB)"));
            Console.WriteLine(Fmt.Inv($"IMAP connections held by the API (established to :{env.ImapPort}, from /proc): before {imapBefore}, max during {(samples.Count == 0 ? -1 : samples.Max(s => s.Imap))}, after {imapAfter}"));
        }

        Console.WriteLine("doveadm who right after the run (Dovecot's view; includes the bench's own connections, if open):");
        foreach (var line in ApiProcess.DoveadmWho(env).Split('\n'))
        {
            Console.WriteLine("  " + line.TrimEnd());
        }

        return new Outcome(results.Count / elapsed, results.Count - ok, results.Count);
    }

    private static IReadOnlyList<string> Row(string name, int count, Stats s) =>
        [name, count.ToString(CultureInfo.InvariantCulture), Fmt.Ms(s.Mean), Fmt.Ms(s.P50), Fmt.Ms(s.P95), Fmt.Ms(s.P99), Fmt.Ms(s.Max)];

    private sealed record Sample(string Label, int Op, double Ms, string Status, string? Detail);

    private static async Task<List<Sample>> WorkerAsync(LoadClient client, int index, long deadline, CancellationToken ct)
    {
        var rng = new Random(index * 31 + 7);
        var samples = new List<Sample>(4096);
        while (Stopwatch.GetTimestamp() < deadline && !ct.IsCancellationRequested)
        {
            var roll = rng.Next(100);
            var op = roll < 50 || (roll < 80 && !client.HasMessages) ? 0 : roll < 80 ? 1 : 2;
            var start = Stopwatch.GetTimestamp();
            try
            {
                var (status, detail) = await client.Do(op, rng, ct);
                samples.Add(new Sample(client.Label, op, Stopwatch.GetElapsedTime(start).TotalMilliseconds, status, detail));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                samples.Add(new Sample(client.Label, op, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ex.GetType().Name, ex.GetType().Name + ": " + ex.Message));
            }
        }

        return samples;
    }
}

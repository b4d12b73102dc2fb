using System.Diagnostics;

namespace Fayvad.Bench;

/// <summary>
/// One thing every side does: the API call (returns response bytes), MailKit issuing the API's plan (before issue #12) and,
/// where there is one, the best raw MailKit plan for the same user-visible work (each returns a size/count).
/// <paramref name="Goal"/>: the most API p50 / best p50 issue #12 allows, or null.
/// </summary>
internal sealed record Scenario(string Name, string Api, Func<int, CancellationToken, Task<long>> CallApi, Func<int, CancellationToken, Task<long>> CallMailKit,
    Func<int, CancellationToken, Task<long>>? CallBest = null, double? Goal = null);

internal sealed record ScenarioResult(
    Scenario Scenario, Stats Api, Stats MailKit, Stats Best, double ApiCpuMsPerOp, double ApiBytesPerOp, double ApiClientAllocPerOp, double MailKitAllocPerOp,
    int ApiFailures, int MailKitFailures)
{
    /// <summary>CPU used meanwhile by the kernel and by processes outside this stack, in % of one core.</summary>
    public double OtherCpuPercent { get; init; }
}

/// <summary>A non-200 answer from the API.</summary>
internal sealed class ApiStatusException(string message) : Exception(message);

/// <summary>
/// Every scenario is warmed up first (both sides, so both the API's and this process's code reach tier-1 JIT before
/// anything is measured), then each runs N measured iterations; API and MailKit calls alternate (and swap order every
/// iteration) so drift hits both alike. A call that fails (a non-200, a lost IMAP connection) is counted, left out of
/// the timings and the baseline reconnects: on a shared machine another stack's test run may kill our imap processes.
/// </summary>
internal static class ScenarioRunner
{
    public static async Task WarmupAsync(IReadOnlyList<Scenario> scenarios, BenchOptions options, Baseline baseline, Baseline best, CancellationToken ct)
    {
        var api = new Side(0, null);
        var mailKit = new Side(0, baseline.ReconnectAsync);
        var bestSide = new Side(0, best.ReconnectAsync);
        foreach (var scenario in scenarios)
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                await api.TimeAsync(scenario.CallApi, i, ct);
                await mailKit.TimeAsync(scenario.CallMailKit, i, ct);
                if (scenario.CallBest is { } callBest)
                {
                    await bestSide.TimeAsync(callBest, i, ct);
                }
            }
        }

        // Tier-1 recompilation happens on a background thread after a short delay.
        await Task.Delay(1000, ct);
    }

    public static async Task<ScenarioResult> RunAsync(Scenario scenario, BenchOptions options, ApiProcess? api, Baseline baseline, Baseline best, CancellationToken ct)
    {
        var apiSide = new Side(options.Iterations, null);
        var mailKitSide = new Side(options.Iterations, baseline.ReconnectAsync);
        var bestSide = new Side(options.Iterations, best.ReconnectAsync);
        var calls = new List<(Side Side, Func<int, CancellationToken, Task<long>> Call)> { (apiSide, scenario.CallApi), (mailKitSide, scenario.CallMailKit) };
        if (scenario.CallBest is { } callBest)
        {
            calls.Add((bestSide, callBest));
        }

        // The API process is idle while the MailKit sides run, so its CPU over the loop is the API side's alone.
        var cpuBefore = api?.CpuMs() ?? 0;
        for (var i = 0; i < options.Iterations; i++)
        {
            // Each side goes first, second, last in turn, so drift hits all alike.
            for (var k = 0; k < calls.Count; k++)
            {
                var (side, call) = calls[(i + k) % calls.Count];
                await side.TimeAsync(call, i, ct);
            }
        }

        var cpu = api is null ? double.NaN : (api.CpuMs() - cpuBefore) / options.Iterations;
        var n = (double)Math.Max(1, apiSide.Times.Count);
        return new ScenarioResult(scenario, Stats.Of(apiSide.Times), Stats.Of(mailKitSide.Times), Stats.Of(bestSide.Times), cpu,
            apiSide.Result / n, apiSide.Allocated / n, mailKitSide.Allocated / Math.Max(1.0, mailKitSide.Times.Count),
            apiSide.Failures, mailKitSide.Failures + bestSide.Failures);
    }

    /// <summary>A MailKit-only variant (the what-if table).</summary>
    public static async Task<(Stats Stats, double AllocPerOp, int Failures)> RunOneAsync(
        Func<int, CancellationToken, Task<long>> call, BenchOptions options, Baseline baseline, CancellationToken ct)
    {
        var warm = new Side(0, baseline.ReconnectAsync);
        for (var i = 0; i < options.Warmup; i++)
        {
            await warm.TimeAsync(call, i, ct);
        }

        var side = new Side(options.Iterations, baseline.ReconnectAsync);
        for (var i = 0; i < options.Iterations; i++)
        {
            await side.TimeAsync(call, i, ct);
        }

        return (Stats.Of(side.Times), side.Allocated / Math.Max(1.0, side.Times.Count), side.Failures);
    }

    private sealed class Side(int capacity, Func<CancellationToken, Task>? reconnect)
    {
        public List<double> Times { get; } = new(capacity);
        public long Allocated { get; private set; }
        public long Result { get; private set; }
        public int Failures { get; private set; }

        public async Task TimeAsync(Func<int, CancellationToken, Task<long>> call, int i, CancellationToken ct)
        {
            var allocated = GC.GetTotalAllocatedBytes();
            var start = Stopwatch.GetTimestamp();
            long result;
            try
            {
                result = await call(i, ct);
            }
            catch (Exception ex) when (ex is ApiStatusException or HttpRequestException || (reconnect is not null && Baseline.IsConnectionFault(ex)))
            {
                Failures++;
                Console.WriteLine($"[bench] call failed, left out of the timings: {ex.GetType().Name}: {ex.Message}");
                if (reconnect is not null)
                {
                    await reconnect(ct);
                }

                return;
            }

            Times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Allocated += GC.GetTotalAllocatedBytes() - allocated;
            Result += result;
        }
    }
}

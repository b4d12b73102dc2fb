using System.Diagnostics;
using System.Globalization;

namespace Fayvad.Bench;

/// <summary>
/// Waits until the machine is idle before measuring: right after a bulk APPEND, Dovecot's indexer-worker keeps building
/// the full-text index in the background for a minute or more and would be measured along with everything else.
/// </summary>
internal static class Quiet
{
    /// <summary>BENCH_QUIET_TIMEOUT (seconds, default 300): how long to wait on a machine that others keep busy.</summary>
    public static async Task WaitAsync(CancellationToken ct, double maxBusy = 0.25, int quietSeconds = 3, int? timeoutSeconds = null)
    {
        var timeout = timeoutSeconds
            ?? (int.TryParse(Environment.GetEnvironmentVariable("BENCH_QUIET_TIMEOUT"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 300);
        var clock = Stopwatch.StartNew();
        var quiet = 0;
        var last = Busy();
        while (quiet < quietSeconds)
        {
            await Task.Delay(1000, ct);
            var now = Busy();
            var busy = (now.Busy - last.Busy) / (double)Math.Max(1, now.Total - last.Total);
            last = now;
            quiet = busy <= maxBusy ? quiet + 1 : 0;
            if (clock.Elapsed.TotalSeconds > timeout)
            {
                Console.WriteLine(Fmt.Inv($"[bench] WARNING: the machine is still {busy * 100:F0} % busy after {timeout} s (another workload?); measuring anyway"));
                return;
            }
        }

        Console.WriteLine(Fmt.Inv($"[bench] machine idle (<= {maxBusy * 100:F0} % CPU for {quietSeconds} s) after {clock.Elapsed.TotalSeconds:F0} s; load average {LoadAverage()}"));
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>Busy and total jiffies of all cores, from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) Busy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        return (total - fields[3] - fields[4], total);
    }
}

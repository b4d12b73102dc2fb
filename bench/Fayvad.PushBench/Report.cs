using System.Globalization;

namespace Fayvad.PushBench;

/// <summary>Prints the results as they come (stdout) and collects the verdicts and anomalies for the closing summary.</summary>
internal sealed class Report
{
    /// <summary>Issue #12: SMTP 250 / APPEND OK -> SSE event, p95, INBOX and other folders alike.</summary>
    public const double TargetP95Ms = 150;

    /// <summary>Issue #12: over the spread phase's appends, no event later than this.</summary>
    public const double LateMs = 2000;

    private readonly TextWriter _out = Console.Out;
    private readonly List<string> _summary = [];
    private readonly List<string> _anomalies = [];

    public void Line(string text) => _out.WriteLine(text);

    public void Section(string title)
    {
        _out.WriteLine();
        _out.WriteLine("-- " + title);
    }

    public void Summary(string text) => _summary.Add(text);

    public void Anomaly(string text) => _anomalies.Add(text);

    public void Latency(LatencyResult result, string t0)
    {
        Line($"  t0 = {t0}; t1 = event's data line read off the SSE stream / baseline's line read off its own IMAP socket");
        Line(Samples.Header);
        Line(result.Api.Row());
        foreach (var samples in result.Baselines.Concat(result.Overheads))
        {
            Line(samples.Row());
        }

        for (var k = 0; k < result.Baselines.Count; k++)
        {
            var b = result.Baselines[k];
            Line($"  ratio API / baseline {(char)('A' + k)}: p50 {Ratio(result.Api.Percentile(50), b.Percentile(50))}, p95 {Ratio(result.Api.Percentile(95), b.Percentile(95))}");
        }

        var slowest = result.Each.OrderByDescending(a => a.ApiMs).Take(5)
            .Select(a => $"#{a.Index} {F(a.ApiMs)} (baseline {string.Join("/", a.BaseMs.Select(b => b is { } v ? F(v) : "lost"))})");
        Line($"  slowest on the API: {string.Join(", ", slowest)}");
        Line($"  Dovecot rotated this mailbox's dovecot.list.index.log during: {(result.ListIndexRotations.Count == 0 ? "no message" : string.Join(", ", result.ListIndexRotations.Select(i => i < 0 ? "warm-up" : "#" + i.ToString(CultureInfo.InvariantCulture))))}");
        if (result.ApiLost.Count > 0)
        {
            Line($"  API events lost (none within the timeout): {Ranges(result.ApiLost)}");
        }

        var p95 = result.Api.Percentile(95);
        var pass = p95 <= TargetP95Ms;
        var verdict = $"{result.Folder}: API p95 {F(p95)} ms, p50 {F(result.Api.Percentile(50))}, lost {result.Api.Lost}/{result.Api.Count}; "
                      + $"baseline A p95 {F(result.Baselines[0].Percentile(95))}, p50 {F(result.Baselines[0].Percentile(50))}; target p95 <= {TargetP95Ms:0} ms: {(pass ? "PASS" : "FAIL")}";
        Line("  " + verdict);
        Summary(verdict);
        if (result.Api.Lost > 0 || result.Baselines.Any(b => b.Lost > 0))
        {
            Anomaly($"{result.Folder}: events lost: API {result.Api.Lost} ({Ranges(result.ApiLost)}), "
                    + string.Join(", ", result.Baselines.Select((b, k) => $"baseline {(char)('A' + k)} {b.Lost}"))
                    + (result.ListIndexRotations.Count > 0 ? $"; dovecot.list.index.log rotated during {string.Join(", ", result.ListIndexRotations.Select(i => "#" + i.ToString(CultureInfo.InvariantCulture)))}" : ""));
        }
        else if (result.Api.Max > TargetP95Ms)
        {
            Anomaly($"{result.Folder}: slowest API event {F(result.Api.Max)} ms (> {TargetP95Ms:0} ms)");
        }
    }

    private static string Ratio(double a, double b) =>
        double.IsFinite(a) && double.IsFinite(b) && b > 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    /// <summary>"#3, #7-#9".</summary>
    private static string Ranges(List<int> indices)
    {
        var parts = new List<string>();
        for (var i = 0; i < indices.Count; i++)
        {
            var start = indices[i];
            while (i + 1 < indices.Count && indices[i + 1] == indices[i] + 1)
            {
                i++;
            }

            parts.Add(start == indices[i] ? $"#{start}" : $"#{start}-#{indices[i]}");
        }

        return string.Join(", ", parts);
    }

    public void Close()
    {
        _out.WriteLine();
        _out.WriteLine("== Summary ==");
        foreach (var line in _summary)
        {
            _out.WriteLine("  " + line);
        }

        _out.WriteLine(_anomalies.Count == 0 ? "  anomalies: none seen" : "  anomalies:");
        foreach (var line in _anomalies)
        {
            _out.WriteLine("   - " + line);
        }
    }

    public static string F(double value) => Samples.F(value);

    public static string Mb(long kb) => (kb / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}

using System.Globalization;

namespace Fayvad.Bench;

/// <summary>Mean and percentiles (nearest rank) of a set of timings in milliseconds.</summary>
internal readonly record struct Stats(int Count, double Mean, double P50, double P95, double P99, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return default;
        }

        var sorted = values.Order().ToArray();
        return new Stats(sorted.Length, sorted.Average(), Rank(sorted, 0.50), Rank(sorted, 0.95), Rank(sorted, 0.99), sorted[^1]);
    }

    private static double Rank(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal static class Fmt
{
    public static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : ms < 100 ? "F1" : "F0", CultureInfo.InvariantCulture);

    public static string Ratio(double api, double baseline) =>
        baseline <= 0 ? "-" : (api / baseline).ToString("F2", CultureInfo.InvariantCulture) + "x";

    public static string Kb(double bytes) => (bytes / 1024).ToString("F1", CultureInfo.InvariantCulture);

    public static string Mb(long kb) => (kb / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    public static string Inv(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>A Markdown table (pastes as-is into an issue), columns padded for the terminal.</summary>
    public static void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, ISet<int>? rightAligned = null)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => all.Max(r => r[c].Length)).ToArray();
        string Line(IReadOnlyList<string> row) =>
            "| " + string.Join(" | ", row.Select((cell, c) =>
                rightAligned?.Contains(c) == true ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))) + " |";

        Console.WriteLine(Line(header));
        Console.WriteLine("|" + string.Join("|", widths.Select((w, c) =>
            rightAligned?.Contains(c) == true ? new string('-', w + 1) + ":" : new string('-', w + 2))) + "|");
        foreach (var row in all.Skip(1))
        {
            Console.WriteLine(Line(row));
        }
    }
}

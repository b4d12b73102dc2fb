using System.Globalization;

namespace Fayvad.PushBench;

/// <summary>
/// Latency samples in milliseconds; percentiles by nearest rank. A lost sample (nothing within the timeout) counts as
/// slower than any other, so that losses show in p95/p99/max instead of silently shrinking n.
/// </summary>
internal sealed class Samples(string name)
{
    private readonly List<double> _values = [];

    public string Name { get; } = name;

    /// <summary>Samples, lost ones included.</summary>
    public int Count => _values.Count + Lost;

    public int Lost { get; private set; }

    public void Add(double ms) => _values.Add(ms);

    public void AddLost() => Lost++;

    public double Percentile(double p)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = Math.Clamp((int)Math.Ceiling(p / 100 * Count), 1, Count);
        return rank > _values.Count ? double.PositiveInfinity : _values.Order().ElementAt(rank - 1);
    }

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();

    public double Max => Lost > 0 ? double.PositiveInfinity : _values.Count == 0 ? double.NaN : _values.Max();

    /// <summary>Of the samples that arrived.</summary>
    public double Mean => _values.Count == 0 ? double.NaN : _values.Average();

    public static string Header => $"  {"",-52} {"n",5} {"lost",5} {"min",8} {"p50",8} {"p95",8} {"p99",8} {"max",8} {"mean",8}  (ms; lost = none within the timeout, ranks as slowest)";

    public string Row() =>
        $"  {Name,-52} {Count,5} {Lost,5} {F(Min),8} {F(Percentile(50)),8} {F(Percentile(95)),8} {F(Percentile(99)),8} {F(Max),8} {F(Mean),8}";

    public static string F(double value, string format = "0.0") =>
        double.IsNaN(value) ? "-" : double.IsPositiveInfinity(value) ? "lost" : value.ToString(format, CultureInfo.InvariantCulture);
}

using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Http;

/// <summary>
/// Reads query-string values leniently so that a malformed number becomes a validation error with the field's name,
/// not an opaque binding failure.
/// </summary>
public static class QueryParsing
{
    /// <summary>Null when absent; <see cref="int.MinValue"/> when present but not a whole number (fails range rules).</summary>
    public static int? IntValue(this IQueryCollection query, string name)
    {
        var raw = query[name].ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : int.MinValue;
    }

    public static long? LongValue(this IQueryCollection query, string name)
    {
        var raw = query[name].ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : long.MinValue;
    }

    public static string? StringValue(this IQueryCollection query, string name)
    {
        var raw = query[name].ToString();
        return string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
    }

    public static int PageOrDefault(this IQueryCollection query) => query.IntValue("page") ?? 1;

    public static int LimitOrDefault(this IQueryCollection query) => query.IntValue("limit") ?? Paging.Paging.DefaultLimit;
}

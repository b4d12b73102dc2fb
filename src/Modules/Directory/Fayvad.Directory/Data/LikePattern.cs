namespace Fayvad.Directory.Data;

internal static class LikePattern
{
    /// <summary>
    /// The escape character the patterns use. It must be passed to every <c>ILike</c>: Npgsql's EF translation writes
    /// <c>ESCAPE ''</c> when none is given, and a search for "s_t" or "100%" then matched nothing.
    /// </summary>
    public const string Escape = "\\";

    /// <summary>An ILIKE pattern matching <paramref name="text"/> anywhere, with the caller's % and _ taken literally.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}

namespace Fayvad.Directory.Data;

internal static class LikePattern
{
    /// <summary>An ILIKE pattern matching <paramref name="text"/> anywhere, with the caller's % and _ taken literally.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}

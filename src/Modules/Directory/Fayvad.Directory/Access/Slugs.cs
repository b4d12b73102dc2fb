using System.Text.RegularExpressions;

namespace Fayvad.Directory.Access;

/// <summary>Organization slugs: lower-case letters, digits and inner hyphens, at most 63.</summary>
internal static partial class Slugs
{
    public static bool IsValid(string? slug) => slug is not null && Pattern().IsMatch(slug);

    /// <summary>The slug a name suggests; empty when it has no Latin letters or digits.</summary>
    public static string From(string name)
    {
        var slug = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > 63 ? slug[..63].TrimEnd('-') : slug;
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex Pattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}

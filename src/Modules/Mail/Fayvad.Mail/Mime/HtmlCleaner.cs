using System.Text.RegularExpressions;
using Ganss.Xss;

namespace Fayvad.Mail.Mime;

/// <summary>
/// Mail HTML made safe to render: no scripts, event handlers, forms or frames (HtmlSanitizer's allow-list). Inline
/// cid: images are pointed at the API's attachment URL; remote images and styles are kept but flagged.
/// </summary>
internal static partial class HtmlCleaner
{
    private static readonly HtmlSanitizer Sanitizer = Create();

    public static (string Html, bool HasRemoteContent) Clean(string html, Func<string, string?>? resolveCid = null)
    {
        var clean = Sanitizer.Sanitize(html);
        if (resolveCid is not null)
        {
            clean = CidReference().Replace(clean, m => resolveCid(Uri.UnescapeDataString(m.Groups["cid"].Value)) is { } url
                ? $"{m.Groups["attr"].Value}=\"{url}\""
                : m.Value);
        }

        return (clean, RemoteReference().IsMatch(clean));
    }

    private static HtmlSanitizer Create()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Add("cid");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedSchemes.Add("data");
        sanitizer.AllowedTags.Remove("form");
        sanitizer.AllowedAttributes.Add("class");
        return sanitizer;
    }

    [GeneratedRegex("(?<attr>src|background)=\"cid:(?<cid>[^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex CidReference();

    // Anything the client would fetch from the network on render.
    [GeneratedRegex("(src|background)=\"https?:|url\\(\\s*['\"]?https?:", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteReference();
}

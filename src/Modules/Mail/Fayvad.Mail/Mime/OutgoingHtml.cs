using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;

namespace Fayvad.Mail.Mime;

/// <summary>The bodies of a message being written: plain text always; sanitized HTML when the author wrote HTML.</summary>
internal sealed record ComposedBody(string Text, string? Html)
{
    public bool IsHtml => Html is not null;
}

/// <summary>
/// HTML a user composes (the client's rich-text editor posts a fragment such as <c>&lt;p&gt;Hi&lt;/p&gt;</c> in
/// <c>body</c>): recognised, sanitized with a policy fit for mail, and rendered as readable plain text for the
/// text/plain alternative.
/// </summary>
internal static partial class OutgoingHtml
{
    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    /// <summary>
    /// <paramref name="bodyHtml"/> (the API's own field) wins; otherwise <paramref name="body"/> is HTML when it looks
    /// like it (see <see cref="IsHtml"/>), else plain text, sent as it is.
    /// </summary>
    public static ComposedBody Compose(string? body, string? bodyHtml)
    {
        if (!string.IsNullOrWhiteSpace(bodyHtml))
        {
            var (html, text) = SanitizeAndRender(bodyHtml);
            return new ComposedBody(!string.IsNullOrWhiteSpace(body) && !IsHtml(body) ? body : text, html);
        }

        if (body is not null && IsHtml(body))
        {
            var (html, text) = SanitizeAndRender(body);
            return new ComposedBody(text, html);
        }

        return new ComposedBody(body ?? "", null);
    }

    /// <summary>
    /// True when the text carries markup an editor writes: a document start, a closing tag of a known element, a
    /// line or rule break, an image, or a known block element opening the text. A stray <c>a&lt;b</c>, an address
    /// in angle brackets or "x &lt; y &gt; z" is not HTML.
    /// </summary>
    public static bool IsHtml(string text) =>
        text.Contains('<', StringComparison.Ordinal) && (Markup().IsMatch(text) || OpensWithBlock().IsMatch(text));

    public static string Sanitize(string html) => SanitizeAndRender(html).Html;

    /// <summary>The plain-text rendering of an HTML fragment (sanitized first, so hidden content never shows).</summary>
    public static string ToText(string html) => SanitizeAndRender(html).Text;

    private static (string Html, string Text) SanitizeAndRender(string html)
    {
        using var document = Sanitizer.SanitizeDom(html);
        var body = document.Body!;
        return (body.InnerHtml.Trim(), PlainText.Render(body));
    }

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto", "cid", "data" })
        {
            sanitizer.AllowedSchemes.Add(scheme);
        }

        foreach (var tag in new[] { "form", "input", "button", "select", "option", "textarea", "fieldset", "legend" })
        {
            sanitizer.AllowedTags.Remove(tag);
        }

        // Pasted images arrive as data: URIs; anywhere else (a link to data:text/html) a data: URI is a phishing tool.
        sanitizer.FilterUrl += (_, e) =>
        {
            if (e.OriginalUrl.TrimStart().StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                && !(e.Tag.LocalName == "img" && InlineImage().IsMatch(e.OriginalUrl.Trim())))
            {
                e.SanitizedUrl = null;
            }
        };
        return sanitizer;
    }

    private const string KnownElements =
        "p|div|span|b|i|u|s|strong|em|a|ul|ol|li|h[1-6]|table|tbody|thead|tfoot|tr|td|th|blockquote|pre|code|font|strike|"
        + "sub|sup|small|big|center|body|section|article|header|footer|label|mark|del|ins|q|cite|abbr|caption|dl|dt|dd|"
        + "figure|figcaption";

    [GeneratedRegex(@"<!doctype\s+html|<html[\s>]|</(" + KnownElements + @")\s*>|<(br|hr)\s*/?>|<img\s[^<>]*\bsrc\s*=",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Markup();

    [GeneratedRegex(@"^\s*<(p|div|table|ul|ol|h[1-6]|blockquote|pre)(\s[^<>]*)?>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OpensWithBlock();

    [GeneratedRegex(@"^data:image/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InlineImage();

    /// <summary>
    /// Renders a DOM as text a person reads in a plain mail client: paragraphs separated by a blank line, line breaks
    /// kept, lists as "- item" / "1. item", quotes as "&gt; ", links as "text (url)", entities already decoded by
    /// the parser.
    /// </summary>
    private sealed partial class PlainText
    {
        private readonly StringBuilder _out = new();
        private readonly List<(bool Ordered, int Counter)> _lists = [];
        private int _pendingBreaks;
        private int _quoteDepth;
        private string? _marker;

        public static string Render(INode root)
        {
            var renderer = new PlainText();
            renderer.Children(root);
            return renderer.Finish();
        }

        private void Children(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                Node(child);
            }
        }

        private void Node(INode node)
        {
            switch (node)
            {
                case IText text:
                    Write(Whitespace().Replace(text.Data, " ").Replace('\u00A0', ' '));
                    break;
                case IElement element:
                    Element(element);
                    break;
            }
        }

        private void Element(IElement element)
        {
            switch (element.LocalName)
            {
                case "script" or "style" or "head" or "title" or "template":
                    return;
                case "br":
                    LineBreak();
                    return;
                case "hr":
                    Block(1);
                    Write("----------");
                    Block(1);
                    return;
                case "img":
                    if (element.GetAttribute("alt") is { Length: > 0 } alt)
                    {
                        Write($"[{alt.Trim()}]");
                    }

                    return;
                case "pre":
                    Block(2);
                    Preformatted(element.TextContent);
                    Block(2);
                    return;
                case "a":
                    Children(element);
                    Link(element);
                    return;
                case "ul" or "ol":
                    Block(_lists.Count == 0 ? 2 : 1);
                    _lists.Add((element.LocalName == "ol", 0));
                    Children(element);
                    _lists.RemoveAt(_lists.Count - 1);
                    Block(_lists.Count == 0 ? 2 : 1);
                    return;
                case "li":
                    ListItem(element);
                    return;
                case "blockquote":
                    Block(2);
                    _quoteDepth++;
                    Children(element);
                    Block(2);
                    _quoteDepth--;
                    return;
                case "p" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "table" or "dl" or "figure":
                    Block(2);
                    Children(element);
                    Block(2);
                    return;
                case "div" or "tr" or "section" or "article" or "header" or "footer" or "dt" or "dd" or "caption" or "figcaption" or "center":
                    Block(1);
                    Children(element);
                    Block(1);
                    return;
                case "td" or "th":
                    if (element.PreviousElementSibling is not null)
                    {
                        Write(" | ");
                    }

                    Children(element);
                    return;
                default:
                    Children(element);
                    return;
            }
        }

        private void ListItem(IElement element)
        {
            Block(1);
            if (_lists.Count > 0)
            {
                var (ordered, counter) = _lists[^1];
                _lists[^1] = (ordered, counter + 1);
                _marker = new string(' ', 2 * (_lists.Count - 1)) + (ordered ? $"{counter + 1}. " : "- ");
            }

            Children(element);
            _marker = null;
            Block(1);
        }

        private void Link(IElement element)
        {
            var href = element.GetAttribute("href")?.Trim();
            if (string.IsNullOrEmpty(href) || href.StartsWith('#'))
            {
                return;
            }

            var shown = href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? href["mailto:".Length..] : href;
            var text = Whitespace().Replace(element.TextContent, " ").Trim();
            if (!string.Equals(text, shown, StringComparison.OrdinalIgnoreCase) && !string.Equals(text, href, StringComparison.OrdinalIgnoreCase))
            {
                Write(text.Length == 0 ? shown : $" ({shown})");
            }
        }

        private void Preformatted(string text)
        {
            var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim('\n').Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (i > 0)
                {
                    LineBreak();
                }

                Write(lines[i], keepSpaces: true);
            }
        }

        /// <summary>Asks for at least <paramref name="breaks"/> line ends before the next text (2 = a blank line).</summary>
        private void Block(int breaks) => _pendingBreaks = Math.Max(_pendingBreaks, breaks);

        private void LineBreak()
        {
            FlushBreaks();
            TrimTrailingSpaces();
            _out.Append('\n');
        }

        private void Write(string text, bool keepSpaces = false)
        {
            if (AtLineStart() || _pendingBreaks > 0)
            {
                if (!keepSpaces)
                {
                    text = text.TrimStart();
                }

                if (text.Length == 0)
                {
                    return;
                }

                FlushBreaks();
                _out.Append(new string('>', _quoteDepth)).Append(_quoteDepth > 0 ? " " : "");
                if (_marker is not null)
                {
                    _out.Append(_marker);
                    _marker = null;
                }
                else if (_lists.Count > 0)
                {
                    _out.Append(' ', 2 * _lists.Count);
                }
            }
            else if (!keepSpaces && text.StartsWith(' ') && _out.Length > 0 && _out[^1] == ' ')
            {
                text = text.TrimStart();
            }

            _out.Append(text);
        }

        private void FlushBreaks()
        {
            if (_pendingBreaks == 0 || _out.Length == 0)
            {
                _pendingBreaks = 0;
                return;
            }

            TrimTrailingSpaces();
            var have = 0;
            while (have < _out.Length && _out[_out.Length - 1 - have] == '\n')
            {
                have++;
            }

            _out.Append('\n', Math.Max(0, _pendingBreaks - have));
            _pendingBreaks = 0;
        }

        private bool AtLineStart() => _out.Length == 0 || _out[^1] == '\n';

        private void TrimTrailingSpaces()
        {
            while (_out.Length > 0 && _out[^1] == ' ')
            {
                _out.Length--;
            }
        }

        private string Finish()
        {
            var lines = _out.ToString().Split('\n').Select(l => l.TrimEnd());
            return string.Join('\n', lines).Trim('\n');
        }

        [GeneratedRegex(@"[ \t\r\n\f]+")]
        private static partial Regex Whitespace();
    }
}

using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Tests;

public sealed class HtmlDetectionTests
{
    [Theory]
    [InlineData("<p>Hello</p>")]
    [InlineData("<p>Hello <strong>Jane</strong>,</p><p>See you.</p>")]
    [InlineData("<h2>Agenda</h2><ul><li>one</li></ul>")]
    [InlineData("Line one<br>Line two")]
    [InlineData("Line one<br />Line two")]
    [InlineData("<p style=\"text-align:center;\">centered</p>")]
    [InlineData("<div>block</div>")]
    [InlineData("<!DOCTYPE html><html><body>x</body></html>")]
    [InlineData("<p>unclosed paragraph from an editor <b>bold")]
    [InlineData("Look: <img src=\"cid:logo\">")]
    [InlineData("  <p>&nbsp;</p>  ")]
    public void Editor_output_is_html(string body) => Assert.True(OutgoingHtml.IsHtml(body));

    [Theory]
    [InlineData("a<b")]
    [InlineData("if a<b and c>d then stop")]
    [InlineData("1 < 2 and 3 > 2")]
    [InlineData("Write to Jane <jane@example.com> please")]
    [InlineData("Use the <b> tag for bold")]
    [InlineData("<<<>>>")]
    [InlineData("Tom &amp; Jerry")]
    [InlineData("plain text\nwith lines")]
    [InlineData("")]
    [InlineData("x <p is a variable")]
    public void Plain_text_that_mentions_angle_brackets_is_not_html(string body) => Assert.False(OutgoingHtml.IsHtml(body));
}

public sealed class PlainTextRenderingTests
{
    [Fact]
    public void Paragraphs_are_separated_by_a_blank_line_and_breaks_are_kept()
    {
        Assert.Equal("Hello Jane,\n\nLine one\nLine two\n\nBye", OutgoingHtml.ToText("<p>Hello <strong>Jane</strong>,</p><p>Line one<br>Line two</p><p>Bye</p>"));
    }

    [Fact]
    public void Entities_are_decoded_and_whitespace_collapsed()
    {
        Assert.Equal("Tom & Jerry <3 \"quotes\" café", OutgoingHtml.ToText("<p>Tom &amp; Jerry   &lt;3\n &quot;quotes&quot; caf&eacute;</p>"));
        Assert.Equal("a  b", OutgoingHtml.ToText("<p>a&nbsp;&nbsp;b</p>"));
    }

    [Fact]
    public void Lists_render_as_bullets_and_numbers_with_nesting()
    {
        Assert.Equal("Plan:\n\n- first\n- second\n  - detail\n\n1. one\n2. two\n\nEnd",
            OutgoingHtml.ToText("<p>Plan:</p><ul><li>first</li><li>second<ul><li>detail</li></ul></li></ul><ol><li>one</li><li>two</li></ol><p>End</p>"));
    }

    [Fact]
    public void Links_show_their_address_after_the_text_unless_the_text_is_the_address()
    {
        Assert.Equal("See the plan (https://example.com/plan) or https://example.com or write to me (a@b.com).",
            OutgoingHtml.ToText("<p>See <a href=\"https://example.com/plan\">the plan</a> or <a href=\"https://example.com\">https://example.com</a> or write to <a href=\"mailto:a@b.com\">me</a>.</p>"));
    }

    [Fact]
    public void Quotes_headings_rules_and_tables_stay_readable()
    {
        Assert.Equal("Title\n\n> quoted\n\n----------\n\na | b\nc | d",
            OutgoingHtml.ToText("<h1>Title</h1><blockquote><p>quoted</p></blockquote><hr><table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"));
    }

    [Fact]
    public void Scripts_styles_and_other_dangerous_content_never_reach_either_part()
    {
        var body = OutgoingHtml.Compose("<p onclick=\"x()\">Hi<script>alert(1)</script><style>p{}</style> <a href=\"javascript:alert(2)\">link</a><iframe src=\"https://evil\"></iframe></p><form><input name=a></form>", null);
        Assert.NotNull(body.Html);
        Assert.DoesNotContain("script", body.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", body.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", body.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("iframe", body.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<form", body.Html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Hi link", body.Text);
    }

    [Fact]
    public void Editor_formatting_survives_sanitizing()
    {
        var html = OutgoingHtml.Sanitize("<p style=\"text-align:center;\"><span style=\"color:hsl(0,75%,60%);\">red</span> <strong>b</strong> <i>i</i> <u>u</u> <s>s</s></p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\"><a href=\"data:text/html;base64,PHNjcmlwdD4=\">bad</a>");
        Assert.Contains("text-align: center", html, StringComparison.Ordinal);
        Assert.Contains("<strong>b</strong>", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,iVBORw0KGgo=\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data:text/html", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_keeps_plain_text_plain_and_uses_body_html_when_given()
    {
        Assert.Equal(new ComposedBody("a<b and 1 < 2", null), OutgoingHtml.Compose("a<b and 1 < 2", null));
        var both = OutgoingHtml.Compose("my own text", "<p>rich</p>");
        Assert.Equal("my own text", both.Text);
        Assert.Equal("<p>rich</p>", both.Html);
        Assert.Equal("rich", OutgoingHtml.Compose(null, "<p>rich</p>").Text);
    }
}

public sealed class FileNameTests
{
    [Theory]
    [InlineData("report.pdf", "report.pdf")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Users\\me\\secret.txt", "secret.txt")]
    [InlineData("evil\r\nname.txt", "evilname.txt")]
    [InlineData("a/b\\c:d.txt", "c:d.txt")]
    [InlineData("invoice\u202Efdp.exe", "invoicefdp.exe")]
    [InlineData("..", "attachment")]
    [InlineData("", "attachment")]
    [InlineData("tab\there.txt", "tabhere.txt")]
    public void Names_lose_paths_and_control_characters(string name, string expected) => Assert.Equal(expected, OutgoingMessage.SafeFileName(name));

    [Fact]
    public void Long_names_keep_their_extension()
    {
        var name = OutgoingMessage.SafeFileName(new string('a', 400) + ".docx");
        Assert.Equal(255, name.Length);
        Assert.EndsWith(".docx", name, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoded_size_counts_base64_growth_of_files()
    {
        Assert.Equal(0, OutgoingMessage.Base64Size(0));
        Assert.Equal(78, OutgoingMessage.Base64Size(57));
        var eighteenMiB = OutgoingMessage.Base64Size(18 * 1024 * 1024);
        Assert.InRange(eighteenMiB, 24 * 1024 * 1024, 25 * 1024 * 1024);
    }
}

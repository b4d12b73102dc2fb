using Fayvad.Mail.Features.SendEmail;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Validation;
using MimeKit;

namespace Fayvad.Mail.Tests;

public sealed class MessageIdTests
{
    [Theory]
    [InlineData("INBOX", 1u, 1u)]
    [InlineData("Projects/2025/Q1 Reports", 4_000_000_000u, 123_456u)]
    [InlineData("Ünïcødé/Papers", 77u, 9u)]
    public void Round_trips_folder_uidvalidity_and_uid(string folder, uint validity, uint uid)
    {
        var id = MessageIds.Encode(folder, validity, uid);
        Assert.Matches("^[A-Za-z0-9_-]+$", id);
        Assert.True(MessageIds.TryDecode(id, out var location));
        Assert.Equal(new MessageLocation(folder, validity, uid), location);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 !")]
    [InlineData("bTE6MTox")] // "m1:1:1" with no folder
    [InlineData("eDE6MToxOklOQk9Y")] // wrong version "x1:1:1:INBOX"
    [InlineData("bTE6LTE6MTpJTkJPWA")] // negative uidvalidity
    [InlineData("bTE6MTowOklOQk9Y")] // uid 0
    public void Refuses_anything_that_is_not_an_id(string id) => Assert.False(MessageIds.TryDecode(id, out _));
}

public sealed class HtmlCleanerTests
{
    [Fact]
    public void Removes_scripts_event_handlers_and_javascript_urls()
    {
        var (html, _) = HtmlCleaner.Clean("<p onclick=\"steal()\">Hi<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a><iframe src=\"https://evil\"></iframe></p>");
        Assert.DoesNotContain("script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Hi", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Points_cid_images_at_the_api_and_flags_remote_content()
    {
        var (html, remote) = HtmlCleaner.Clean("<img src=\"cid:logo@x\"><img src=\"https://tracker.example/p.gif\">",
            cid => cid == "logo@x" ? "/fayvad_api/email/messages/ID/attachments/2/" : null);
        Assert.Contains("src=\"/fayvad_api/email/messages/ID/attachments/2/\"", html, StringComparison.Ordinal);
        Assert.True(remote);
    }

    [Fact]
    public void Plain_html_is_not_flagged_remote() => Assert.False(HtmlCleaner.Clean("<b>hello</b> <a href=\"https://x.example\">link</a>").HasRemoteContent);
}

public sealed class OutgoingMessageTests
{
    [Fact]
    public void Line_breaks_in_subject_and_names_cannot_add_headers()
    {
        var message = OutgoingMessage.Build(
            new MailboxAddress(OutgoingMessage.SingleLine("Eve\r\nBcc: victim@example.com"), "eve@fayvad.com"),
            [MailboxAddress.Parse("a@example.com")], [], [],
            "Hello\r\nBcc: victim@example.com", "body", null, [], null, [], DateTimeOffset.UnixEpoch);

        using var stream = new MemoryStream();
        message.WriteTo(stream, TestContext.Current.CancellationToken);
        var raw = System.Text.Encoding.ASCII.GetString(stream.ToArray());
        Assert.DoesNotContain("\nBcc:", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Hello Bcc: victim@example.com", message.Subject);
    }

    [Fact]
    public void Builds_text_html_attachments_and_reply_headers()
    {
        var message = OutgoingMessage.Build(new MailboxAddress("D K", "d@fayvad.com"), [MailboxAddress.Parse("a@example.com")],
            [MailboxAddress.Parse("c@example.com")], [MailboxAddress.Parse("b@example.com")], "Re: plan", "text", "<p>html</p>",
            [new OutgoingAttachment("../../etc/passwd", "text/plain", "x"u8.ToArray())], "orig@x", ["first@x", "orig@x"], DateTimeOffset.UnixEpoch);

        Assert.Equal("text", message.TextBody);
        Assert.Equal("<p>html</p>", message.HtmlBody);
        Assert.Equal("passwd", Assert.Single(message.Attachments).ContentDisposition!.FileName);
        Assert.Equal("orig@x", message.InReplyTo);
        Assert.Equal(["first@x", "orig@x"], message.References);
        Assert.EndsWith("@fayvad.com", message.MessageId, StringComparison.Ordinal);
    }
}

public sealed class SendEmailValidatorTests
{
    static SendEmailValidatorTests() => SnakeCaseNames.UseForValidation();

    private static SendEmailCommand Command(string[] to, string? subject = "s", string? body = "b") =>
        new(to, [], [], subject, body, null, null, null, [], null);

    [Fact]
    public void No_recipient_names_to_emails()
    {
        var result = new SendEmailValidator().Validate(Command([]));
        var error = Assert.Single(result.Errors);
        Assert.Equal("to_emails", error.PropertyName);
        Assert.Contains("recipient", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_message_says_what_is_missing()
    {
        var result = new SendEmailValidator().Validate(Command(["a@b.com"], subject: null, body: ""));
        Assert.Contains(result.Errors, e => e.PropertyName == "body" && e.ErrorMessage.Contains("subject", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("plain@example.com", true)]
    [InlineData("Jane Doe <jane@example.com>", true)]
    [InlineData("not-an-address", false)]
    [InlineData("a@b.com\r\nBcc: x@y.com", false)]
    [InlineData("@example.com", false)]
    public void Addresses_are_checked(string address, bool valid) => Assert.Equal(valid, ComposeInput.IsAddress(address));
}

public sealed class SnippetTests
{
    [Fact]
    public void Collapses_whitespace_and_caps_the_length()
    {
        Assert.Equal("a b c", MessageMapper.Snippet(null, "a\r\n  b\tc"));
        var longText = string.Join(' ', Enumerable.Repeat("word", 100));
        var snippet = MessageMapper.Snippet(longText, null);
        Assert.True(snippet.Length <= MessageMapper.SnippetLength + 1);
        Assert.EndsWith("…", snippet, StringComparison.Ordinal);
    }
}

/// <summary>The folder names BinaryFetcher sends in EXAMINE (RFC 3501 5.1.3; MailKit's own encoder is internal).</summary>
public sealed class ModifiedUtf7Tests
{
    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")] // the RFC's own example
    [InlineData("Tom & Jerry", "Tom &- Jerry")]
    [InlineData("Entwürfe", "Entw&APw-rfe")]
    [InlineData("😀", "&2D3eAA-")] // a surrogate pair is one run
    public void Encodes_as_rfc_3501_says(string name, string encoded) => Assert.Equal(encoded, BinaryFetcher.ModifiedUtf7(name));
}

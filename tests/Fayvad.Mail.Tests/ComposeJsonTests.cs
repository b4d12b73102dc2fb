using System.Text;
using System.Text.Json;
using Fayvad.Mail.Features.SaveDraft;
using Fayvad.Mail.Features.SendEmail;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Tests;

/// <summary>Compose bodies read into their typed records, with the shapes the client sends and a refusal naming the field for any other.</summary>
public sealed class ComposeJsonTests
{
    private static readonly ComposeJson Reader = new(Options.Create(ApiJson()));

    /// <summary>The API's JSON options as the host sets them (snake_case, text rules on every string).</summary>
    private static Microsoft.AspNetCore.Http.Json.JsonOptions ApiJson()
    {
        var options = new Microsoft.AspNetCore.Http.Json.JsonOptions();
        options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.SerializerOptions.Converters.Add(new SafeTextConverter());
        return options;
    }

    private static Task<T> ReadAsync<T>(string json)
        where T : class
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return Reader.ReadAsync<T>(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> RefusalAsync<T>(string json)
        where T : class =>
        (await Assert.ThrowsAsync<ClientInputException>(() => ReadAsync<T>(json))).Message;

    [Theory]
    [InlineData("""{"to_emails": ["a@x.org", " b@y.org ", ""]}""")]
    [InlineData("""{"to_emails": "a@x.org, b@y.org"}""")]
    [InlineData("""{"to_emails": "a@x.org; b@y.org;"}""")]
    public async Task Recipients_are_a_list_or_one_string_separated_by_commas(string json)
    {
        var body = await ReadAsync<SendEmailBody>(json);
        Assert.Equal(["a@x.org", "b@y.org"], body.ToEmails);
        Assert.Null(body.CcEmails);
    }

    [Theory]
    [InlineData("""{"to_emails": {"a": "b"}}""", "to_emails must be a list of email addresses (strings), or one string separated by commas.")]
    [InlineData("""{"cc_emails": ["a@x.org", null]}""", "cc_emails must be a list of email addresses (strings), or one string separated by commas.")]
    [InlineData("""{"bcc_emails": 5}""", "bcc_emails must be a list of email addresses (strings), or one string separated by commas.")]
    [InlineData("""{"subject": {"a": 1}}""", "subject must be text (a JSON string).")]
    [InlineData("""{"body": ["x"]}""", "body must be text (a JSON string).")]
    [InlineData("""{"attachment_ids": [0]}""", "attachment_ids must be a list of positive integer ids.")]
    [InlineData("""{"attachment_ids": true}""", "attachment_ids must be a list of positive integer ids.")]
    [InlineData("""{"attachment_ids": "1,x"}""", "attachment_ids must be a list of positive integer ids.")]
    [InlineData("""{"attachments": "file"}""", "attachments must be a list of files: objects with filename, content_type and content_base64 as text.")]
    [InlineData("""{"attachments": [1]}""", "attachments must be a list of files: objects with filename, content_type and content_base64 as text.")]
    [InlineData("""{"attachments": [{"filename": "a"}]}""", "attachments must be a list of files: objects with filename, content_type and content_base64 as text.")]
    [InlineData("""{"attachments": [{"content_base64": 5}]}""", "attachments must be a list of files: objects with filename, content_type and content_base64 as text.")]
    [InlineData("""[1, 2]""", "The request body must be a JSON object.")]
    [InlineData("", "The request body is empty: send a JSON object.")]
    public async Task A_field_of_the_wrong_shape_is_refused_by_name(string json, string error) =>
        Assert.Equal(error, await RefusalAsync<SendEmailBody>(json));

    [Fact]
    public async Task Text_the_mail_server_cannot_carry_is_refused_in_every_string_the_body_reads()
    {
        Assert.StartsWith("subject must", await RefusalAsync<SendEmailBody>("""{"subject": "a\u0000b"}"""), StringComparison.Ordinal);
        Assert.StartsWith("to_emails must", await RefusalAsync<SendEmailBody>("""{"to_emails": ["a\u0007@x.org"]}"""), StringComparison.Ordinal);
        Assert.StartsWith("attachments must", await RefusalAsync<SendEmailBody>("""{"attachments": [{"filename": "\udc00", "content_base64": ""}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ids_come_as_numbers_digit_strings_or_one_comma_separated_string()
    {
        Assert.Equal([1L, 2L], (await ReadAsync<SendEmailBody>("""{"attachment_ids": [1, "2"]}""")).AttachmentIds);
        Assert.Equal([3L, 4L], (await ReadAsync<SendEmailBody>("""{"attachment_ids": "3, 4"}""")).AttachmentIds);
        Assert.Equal([5L], (await ReadAsync<SendEmailBody>("""{"attachment_ids": 5}""")).AttachmentIds);
        Assert.Null((await ReadAsync<SendEmailBody>("""{"attachment_ids": null}""")).AttachmentIds);
    }

    [Fact]
    public async Task Inline_files_keep_what_was_sent_and_a_missing_name_is_left_to_the_sender()
    {
        var body = await ReadAsync<SendEmailBody>("""{"attachments": [{"content_base64": "aGk=", "size": 2}, {"filename": "b.txt", "content_type": null, "content_base64": ""}]}""");
        Assert.Equal([new InlineAttachment("", null, "aGk="), new InlineAttachment("b.txt", null, "")], body.Attachments);
    }

    [Theory]
    [InlineData("""{"id": 12}""", 12L)]
    [InlineData("""{"id": "12"}""", 12L)]
    [InlineData("""{"id": " "}""", null)]
    [InlineData("""{"id": null}""", null)]
    [InlineData("""{}""", null)]
    public async Task A_draft_id_is_a_number_or_its_digits_and_blank_is_a_new_draft(string json, long? id) =>
        Assert.Equal(id, (await ReadAsync<SaveDraftBody>(json)).Id);

    [Theory]
    [InlineData("""{"id": 0}""")]
    [InlineData("""{"id": -3}""")]
    [InlineData("""{"id": "abc"}""")]
    [InlineData("""{"id": 1.5}""")]
    [InlineData("""{"id": [1]}""")]
    public async Task Any_other_draft_id_is_refused(string json) =>
        Assert.Equal("id must be the integer id of one of your drafts, or absent to create a draft.", await RefusalAsync<SaveDraftBody>(json));

    [Fact]
    public async Task A_draft_takes_the_short_names_of_its_recipient_lists()
    {
        var body = await ReadAsync<SaveDraftBody>("""{"to": "a@x.org", "cc_recipients": ["c@x.org"], "bcc": null}""");
        Assert.Equal(["a@x.org"], body.To);
        Assert.Null(body.ToRecipients);
        Assert.Equal(["c@x.org"], body.CcRecipients);
        Assert.Null(body.Bcc);
    }
}

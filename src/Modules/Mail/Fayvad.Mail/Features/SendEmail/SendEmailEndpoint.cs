using Carter;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Shared.Text;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.SendEmail;

/// <summary>Accepts the client's JSON body, or the same fields as multipart/form-data with file parts.</summary>
public sealed class SendEmailEndpoint : ICarterModule
{
    // Room for a 25 MB message once base64 in JSON (4/3) plus the JSON around it.
    private const long MaxRequestBytes = 36 * 1024 * 1024;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/email/send", async Task<IResult> (HttpRequest request, ComposeJson json, ISender sender, CancellationToken ct) =>
            {
                if (!request.HasFormContentType && !request.HasJsonContentType())
                {
                    throw new BadHttpRequestException("Unsupported media type.", StatusCodes.Status415UnsupportedMediaType);
                }

                var key = request.Headers["Idempotency-Key"].ToString();
                var command = request.HasFormContentType
                    ? await FromFormAsync(request, ct)
                    : FromJson(await json.ReadAsync<SendEmailBody>(request, ct));
                command = command with { IdempotencyKey = string.IsNullOrWhiteSpace(key) ? null : key.Trim() };
                return (await sender.Send(command, ct)).ToOk();
            })
            .WithMetadata(new RequestSizeLimitAttribute(MaxRequestBytes))
            .RequireAuthorization().WithRateLimitGroup(MailModule.SendRateLimitGroup).WithTags("Mail").WithName("SendEmail").Returns<SendEmailResponse>().Fails(403, 404, 409).AcceptsBody<SendEmailBody>(MaxRequestBytes, "attachments").Header("Idempotency-Key", "Sends at most once per key: a repeat answers the first result.");
    }

    private static SendEmailCommand FromJson(SendEmailBody body)
    {
        var attachments = new List<OutgoingAttachment>();
        foreach (var (file, index) in (body.Attachments ?? []).Select((f, i) => (f, i)))
        {
            var type = file.ContentType ?? "application/octet-stream";
            if (!TryBase64(file.ContentBase64, out var bytes) || !MimeKit.ContentType.TryParse(type, out _))
            {
                throw new ClientInputException($"attachments[{index}] needs filename, a valid content_type and content_base64 holding base64 data.");
            }

            attachments.Add(new OutgoingAttachment(file.Filename is { Length: > 0 } name ? name : $"attachment-{index + 1}", type, bytes));
        }

        return new SendEmailCommand(
            body.ToEmails ?? [], body.CcEmails ?? [], body.BccEmails ?? [], body.Subject, body.Body, body.BodyHtml, body.InReplyTo,
            body.ReplyToId, attachments, null, body.AttachmentIds ?? []);
    }

    private static async Task<SendEmailCommand> FromFormAsync(HttpRequest request, CancellationToken ct)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && !ct.IsCancellationRequested)
        {
            throw new ClientInputException("The form data is incomplete or malformed.");
        }
        foreach (var (name, values) in form)
        {
            if (values.Select(v => TextRules.Problem(v)).FirstOrDefault(p => p is not null) is { } problem)
            {
                throw new ClientInputException($"{name} {problem}");
            }
        }

        var attachments = new List<OutgoingAttachment>();
        foreach (var file in form.Files)
        {
            // The form reader already spooled large files to disk; the part streams from there.
            attachments.Add(new OutgoingAttachment(file.FileName, string.IsNullOrEmpty(file.ContentType) ? "application/octet-stream" : file.ContentType, file.OpenReadStream()));
        }

        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        IReadOnlyList<string> List(string name) =>
            form.TryGetValue(name, out var values) ? values.SelectMany(v => ComposeInput.SplitAddresses(v ?? "")).ToList() : [];

        if (!ComposeInput.TryIds(form.TryGetValue("attachment_ids", out var ids) ? ids.ToArray() : [], "attachment_ids", out var uploadIds, out var idsError))
        {
            throw new ClientInputException(idsError!);
        }

        return new SendEmailCommand(List("to_emails"), List("cc_emails"), List("bcc_emails"), Field("subject"), Field("body"),
            Field("body_html"), Field("in_reply_to"), Field("reply_to_id"), attachments, null, uploadIds);
    }

    private static bool TryBase64(string data, out byte[] bytes)
    {
        bytes = new byte[(data.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(data, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}

using System.Text.Json;
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
        app.MapPost(ApiRoutes.Root + "/email/send", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
            {
                if (!request.HasFormContentType && !request.HasJsonContentType())
                {
                    throw new BadHttpRequestException("Unsupported media type.", StatusCodes.Status415UnsupportedMediaType);
                }

                var key = request.Headers["Idempotency-Key"].ToString();
                var command = request.HasFormContentType
                    ? await FromFormAsync(request, ct)
                    : await FromJsonAsync(request, ct);
                command = command with { IdempotencyKey = string.IsNullOrWhiteSpace(key) ? null : key.Trim() };
                return (await sender.Send(command, ct)).ToOk();
            })
            .WithMetadata(new RequestSizeLimitAttribute(MaxRequestBytes))
            .RequireAuthorization().WithRateLimitGroup(MailModule.SendRateLimitGroup).WithTags("Mail").WithName("SendEmail").Returns<SendEmailResponse>().Fails(403, 404, 409).AcceptsBody<SendEmailBody>(MaxRequestBytes, "attachments").Header("Idempotency-Key", "Sends at most once per key: a repeat answers the first result.");
    }

    private static List<string> Addresses(JsonElement root, string name) => ComposeInput.Addresses(root, name);

    private static string? Text(JsonElement element, string name) => ComposeInput.Text(element, name);

    private static Task<SendEmailCommand> FromJsonAsync(HttpRequest request, CancellationToken ct) =>
        ComposeShape.ReadAsync(request, ["subject", "body", "body_html", "in_reply_to", "reply_to_id"],
            ["to_emails", "cc_emails", "bcc_emails"], FromJson, ct);

    private static SendEmailCommand FromJson(JsonElement root)
    {
        if (ComposeShape.FileListProblem(root, "attachments") is { } shapeProblem)
        {
            throw new ClientInputException(shapeProblem);
        }

        string? bodyError = null;
        var attachments = new List<OutgoingAttachment>();
        if (root.TryGetProperty("attachments", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var name = Text(item, "filename") ?? $"attachment-{index + 1}";
                var type = Text(item, "content_type") ?? "application/octet-stream";
                var data = Text(item, "content_base64");
                if (data is null || !TryBase64(data, out var bytes) || !MimeKit.ContentType.TryParse(type, out _))
                {
                    bodyError ??= $"attachments[{index}] needs filename, a valid content_type and content_base64 holding base64 data.";
                }
                else
                {
                    attachments.Add(new OutgoingAttachment(name, type, bytes));
                }

                index++;
            }
        }

        if (!ComposeInput.TryIds(root, "attachment_ids", out var uploadIds, out var idsError))
        {
            bodyError ??= idsError;
        }

        return new SendEmailCommand(
            Addresses(root, "to_emails"), Addresses(root, "cc_emails"), Addresses(root, "bcc_emails"),
            Text(root, "subject"), Text(root, "body"), Text(root, "body_html"), Text(root, "in_reply_to"),
            Text(root, "reply_to_id"), attachments, null, bodyError, uploadIds);
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

        ComposeInput.TryIds(form.TryGetValue("attachment_ids", out var ids) ? ids.ToArray() : [], "attachment_ids", out var uploadIds, out var idsError);
        return new SendEmailCommand(List("to_emails"), List("cc_emails"), List("bcc_emails"), Field("subject"), Field("body"),
            Field("body_html"), Field("in_reply_to"), Field("reply_to_id"), attachments, null, idsError, uploadIds);
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

using System.Text.Json;
using Carter;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
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
                var key = request.Headers["Idempotency-Key"].ToString();
                var command = request.HasFormContentType
                    ? await FromFormAsync(request, ct)
                    : await FromJsonAsync(request, ct);
                command = command with { IdempotencyKey = string.IsNullOrWhiteSpace(key) ? null : key.Trim() };
                return (await sender.Send(command, ct)).ToOk();
            })
            .WithMetadata(new RequestSizeLimitAttribute(MaxRequestBytes))
            .RequireAuthorization().WithTags("Mail").WithName("SendEmail");
    }

    private static async Task<SendEmailCommand> FromJsonAsync(HttpRequest request, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"The request body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BadHttpRequestException("The request body must be a JSON object.");
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

            return new SendEmailCommand(
                Addresses(root, "to_emails"), Addresses(root, "cc_emails"), Addresses(root, "bcc_emails"),
                Text(root, "subject"), Text(root, "body"), Text(root, "body_html"), Text(root, "in_reply_to"),
                Text(root, "reply_to_id"), attachments, null, bodyError);
        }
    }

    private static async Task<SendEmailCommand> FromFormAsync(HttpRequest request, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var attachments = new List<OutgoingAttachment>();
        foreach (var file in form.Files)
        {
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            attachments.Add(new OutgoingAttachment(file.FileName, string.IsNullOrEmpty(file.ContentType) ? "application/octet-stream" : file.ContentType, buffer.ToArray()));
        }

        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        IReadOnlyList<string> List(string name) =>
            form.TryGetValue(name, out var values) ? values.SelectMany(v => SplitAddresses(v ?? "")).ToList() : [];

        return new SendEmailCommand(List("to_emails"), List("cc_emails"), List("bcc_emails"), Field("subject"), Field("body"),
            Field("body_html"), Field("in_reply_to"), Field("reply_to_id"), attachments, null);
    }

    /// <summary>A JSON array of addresses, or one string of addresses separated by commas or semicolons.</summary>
    private static List<string> Addresses(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) ? [] : value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String)
                .Select(e => e.GetString()!.Trim()).Where(s => s.Length > 0).ToList(),
            JsonValueKind.String => SplitAddresses(value.GetString()!),
            _ => [],
        };

    private static List<string> SplitAddresses(string value)
    {
        var trimmed = value.Trim();
        if (trimmed.StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<List<string>>(trimmed)?.Select(s => s.Trim()).Where(s => s.Length > 0).ToList() ?? [];
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to separators.
            }
        }

        return trimmed.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

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

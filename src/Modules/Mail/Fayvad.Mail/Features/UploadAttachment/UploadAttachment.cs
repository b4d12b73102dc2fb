using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Uploads;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Fayvad.Mail.Features.UploadAttachment;

/// <summary>The file part of the request, still unread: the handler streams it into storage.</summary>
internal sealed record UploadAttachmentCommand(string? FileName, string? ContentType, Stream Content) : ICommand<Result<UploadDto>>;

/// <summary>The client's server answered <c>attachment_id</c>; its docs, <c>size_bytes</c>: both are here, with <c>id</c> and <c>size</c>.</summary>
internal sealed record UploadDto(bool Uploaded, long Id, long AttachmentId, string Filename, long Size, long SizeBytes, string ContentType, DateTimeOffset CreatedAt);

internal sealed class UploadAttachmentHandler(ICurrentUser caller, UploadStore store) : ICommandHandler<UploadAttachmentCommand, Result<UploadDto>>
{
    public async ValueTask<Result<UploadDto>> Handle(UploadAttachmentCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        var name = OutgoingMessage.SafeFileName(command.FileName ?? "");
        var type = MimeKit.ContentType.TryParse(command.ContentType ?? "", out var parsed)
            ? parsed.MimeType.ToLowerInvariant()
            : "application/octet-stream";
        var saved = await store.SaveAsync(caller.UserId, name, type, command.Content, cancellationToken);
        return saved.Map(u => new UploadDto(true, u.Id, u.Id, u.FileName, u.SizeBytes, u.SizeBytes, u.ContentType, u.CreatedAt));
    }
}

/// <summary>
/// Reads the multipart body section by section (no form buffering) and hands the part named <c>file</c> to the
/// handler as a stream, so a file of any allowed size passes through a small buffer.
/// </summary>
public sealed class UploadAttachmentEndpoint : ICarterModule
{
    private const string FileRequired = "file is required: send multipart/form-data with the file in a part named \"file\".";

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (path, name) in new[] { ("/email/attachments/upload", "UploadAttachment"), ("/email/upload-attachment", "UploadAttachmentAlias") })
        {
            // No Accepts<> metadata: it would turn a body without a file into 415; the contract wants 400 {error}.
            app.MapPost(ApiRoutes.Root + path, UploadAsync)
                .RequireAuthorization().WithTags("Mail").WithName(name).Returns<UploadDto>().Fails(403).AcceptsFile(MailOptions.DefaultMaxUploadBytes);
        }
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, ISender sender, UploadStore store, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return ApiResults.Problem(Error.Validation("file", FileRequired));
        }

        // Room for the file and the multipart framing around it; the store enforces the exact per-file limit.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = store.MaxFileBytes + (1024 * 1024);
        }

        try
        {
            return await ReadFileAsync(new MultipartReader(boundary, request.Body) { BodyLengthLimit = null }, sender, ct);
        }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            // The body ended before its closing boundary: a client's cut-short upload, nothing stored.
            return ApiResults.Problem(Error.Validation("file", "The upload is incomplete: the multipart body ended before its closing boundary."));
        }
    }

    private static async Task<IResult> ReadFileAsync(MultipartReader reader, ISender sender, CancellationToken ct)
    {
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.IsFileDisposition()
                || !string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "file", StringComparison.Ordinal))
            {
                continue;
            }

            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            return (await sender.Send(new UploadAttachmentCommand(fileName, section.ContentType, section.Body), ct)).ToOk();
        }

        return ApiResults.Problem(Error.Validation("file", FileRequired));
    }
}

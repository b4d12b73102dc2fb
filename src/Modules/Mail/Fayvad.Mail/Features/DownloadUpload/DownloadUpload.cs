using System.ComponentModel;
using Carter;
using FluentValidation;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Uploads;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Fayvad.Mail.Features.DownloadUpload;

internal sealed record DownloadUploadQuery(long? Id) : IQuery<Result<UploadedFile>>;

internal sealed record UploadedFile(UploadInfo Upload, Stream Content);

internal sealed class DownloadUploadValidator : AbstractValidator<DownloadUploadQuery>
{
    public DownloadUploadValidator()
    {
        RuleFor(q => q.Id).NotNull().WithMessage("id is required: give the upload's id (?id= or ?attachment_id=).")
            .GreaterThan(0).WithMessage("id must be a positive integer.");
    }
}

/// <summary>Only the uploader's own files: another user's id is indistinguishable from one that never existed (404).</summary>
internal sealed class DownloadUploadHandler(ICurrentUser caller, UploadStore store) : IQueryHandler<DownloadUploadQuery, Result<UploadedFile>>
{
    public async ValueTask<Result<UploadedFile>> Handle(DownloadUploadQuery query, CancellationToken cancellationToken) =>
        await store.FindAsync(caller.UserId, query.Id!.Value, cancellationToken) is { } upload
            ? new UploadedFile(upload, store.OpenRead(upload))
            : Error.NotFound("Upload not found.");
}

public sealed class DownloadUploadEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (path, name) in new[] { ("/email/attachments/download", "DownloadUpload"), ("/email/download-attachment", "DownloadUploadAlias") })
        {
            app.MapGet(ApiRoutes.Root + path, async Task<IResult> (
                    [FromQuery(Name = "id"), Description("The upload id."), Minimum(1)] WholeNumber? id,
                    [FromQuery(Name = "attachment_id"), Description("Same as id."), Minimum(1)] WholeNumber? attachmentId,
                    HttpResponse response, ISender sender, CancellationToken ct) =>
                {
                    var upload = id.AsLong() ?? attachmentId.AsLong();
                    return (await sender.Send(new DownloadUploadQuery(upload), ct)).ToHttp(file =>
                    {
                        var disposition = new ContentDispositionHeaderValue("attachment");
                        disposition.SetHttpFileName(file.Upload.FileName);
                        return new UploadFileResult(AttachmentResponse.File(response, file.Content, file.Upload.ContentType, disposition,
                            new EntityTagHeaderValue($"\"upload-{file.Upload.Id}\""), file.Upload.CreatedAt));
                    });
                })
                .RequireAuthorization().WithTags("Mail").WithName(name).ReturnsContent(StatusCodes.Status200OK, "The uploaded file's bytes, in its own content type; Range requests are answered 206.", "*/*").ReturnsContent(StatusCodes.Status206PartialContent, "The requested byte range.", "*/*").ReturnsContent(StatusCodes.Status416RangeNotSatisfiable, "The range is outside the file.", "*/*").Fails(403, 404, 410).Header("Range", "A byte range (bytes=0-1023).");
        }
    }
}

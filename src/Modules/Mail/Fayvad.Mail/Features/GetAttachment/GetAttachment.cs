using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using MimeKit;

namespace Fayvad.Mail.Features.GetAttachment;

internal sealed record AttachmentFile(string FileName, string ContentType, Stream Content, bool Inline);

/// <param name="Id">The API's id or an RFC Message-ID; <paramref name="Folder"/> is where to look for the latter first.</param>
internal sealed record GetAttachmentQuery(string Id, string AttachmentId, string? Folder = null) : IQuery<Result<AttachmentFile>>;

/// <summary>Fetches one part's bytes (BODY.PEEK[part]) and decodes its transfer encoding; nothing else of the message is read or parsed.</summary>
internal sealed class GetAttachmentHandler(ICurrentUser caller, IImapSessions sessions, IMessageLocator locator)
    : IQueryHandler<GetAttachmentQuery, Result<AttachmentFile>>
{
    /// <summary>The structure, and what tells a structure the server got wrong (<see cref="SourceStructure.Needed"/>).</summary>
    private static readonly FetchRequest StructureRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure | MessageSummaryItems.Size)
    {
        Headers = new HeaderSet([SourceStructure.TypeField]),
    };

    /// <summary>Buffered (in a temp file past 1 MB) so the IMAP connection goes back to the pool before a slow client reads.</summary>
    private static Stream Buffer(long bytes) => bytes > 1024 * 1024
        ? new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous)
        : new MemoryStream();

    public async ValueTask<Result<AttachmentFile>> Handle(GetAttachmentQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunOnMessageAsync<AttachmentFile>(caller, locator, query.Id, query.Folder, FolderAccess.ReadOnly, async (folder, location, ct) =>
        {
            var fetched = await TolerantFetch.FetchAsync(folder, [location.UniqueId], StructureRequest, ct);
            var summary = fetched.Summaries.FirstOrDefault();
            if (summary is null)
            {
                return Error.NotFound("Message not found.");
            }

            if (fetched.Degraded.Count == 0 && SourceStructure.Needed(summary))
            {
                // The parts the detail listed from the source (its ids are MimeKit's parts, not the server's).
                using var source = await SourceStructure.LoadAsync(folder, summary.UniqueId, ct);
                if (source is not null)
                {
                    var copy = Buffer(summary.Size ?? 0);
                    if (await source.CopyDecodedAsync(query.AttachmentId, copy, ct) is not { } found)
                    {
                        await copy.DisposeAsync();
                        return Error.NotFound("Attachment not found.");
                    }

                    copy.Position = 0;
                    return new AttachmentFile(found.Filename, found.ContentType, copy, found.Inline);
                }
            }

            if (Attachments.Find(summary, query.AttachmentId) is not { } part)
            {
                return Error.NotFound("Attachment not found.");
            }

            var buffer = Buffer(part.Octets);
            await PartContent.CopyDecodedAsync(folder, summary.UniqueId, part, buffer, ct);
            buffer.Position = 0;
            return new AttachmentFile(Attachments.FileName(part), part.ContentType.MimeType.ToLowerInvariant(), buffer,
                !part.IsAttachment && !string.IsNullOrEmpty(part.ContentId));
        }, cancellationToken);
    }
}

public sealed class GetAttachmentEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}/attachments/{attachmentId}",
            async Task<IResult> (string id, string attachmentId, [FromQuery(Name = "folder"), Description(MessageIds.FolderParameter)] string? folder, HttpResponse response, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetAttachmentQuery(MessageIds.FromPath(id), attachmentId, folder.Trimmed()), ct)).ToHttp(file =>
                {
                    var disposition = new ContentDispositionHeaderValue(file.Inline ? "inline" : "attachment");
                    disposition.SetHttpFileName(file.FileName);
                    // A stored message never changes under its id, so the id and part make a strong ETag for If-Range
                    // (hashed: an id may hold characters an ETag may not).
                    var tag = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{id}/{attachmentId}")))[..32];
                    return AttachmentResponse.File(response, file.Content, file.ContentType, disposition, new EntityTagHeaderValue($"\"{tag}\""));
                }))
            .RequireAuthorization().WithTags("Mail").WithName("GetAttachment").ReturnsContent(StatusCodes.Status200OK, "The attachment's bytes, in its own content type; Range requests are answered 206.", "*/*").ReturnsContent(StatusCodes.Status206PartialContent, "The requested byte range.", "*/*").ReturnsContent(StatusCodes.Status416RangeNotSatisfiable, "The range is outside the file.", "*/*").Fails(403).Header("Range", "A byte range (bytes=0-1023).");
    }
}

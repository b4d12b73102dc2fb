using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.GetRawMessage;

/// <param name="Id">The API's id or an RFC Message-ID; <paramref name="Folder"/> is where to look for the latter first.</param>
internal sealed record GetRawMessageQuery(string Id, string? Folder = null) : IQuery<Result<Stream>>;

/// <summary>The message source exactly as stored (BODY.PEEK[]), as message/rfc822.</summary>
internal sealed class GetRawMessageHandler(ICurrentUser caller, IImapSessions sessions, IMessageLocator locator)
    : IQueryHandler<GetRawMessageQuery, Result<Stream>>
{
    public async ValueTask<Result<Stream>> Handle(GetRawMessageQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunOnMessageAsync<Stream>(caller, locator, query.Id, query.Folder, FolderAccess.ReadOnly, async (folder, location, ct) =>
        {
            try
            {
                var copy = new MemoryStream();
                await using (var source = await folder.GetStreamAsync(location.UniqueId, ct))
                {
                    await source.CopyToAsync(copy, ct);
                }

                copy.Position = 0;
                return copy;
            }
            catch (MessageNotFoundException)
            {
                return Error.NotFound("Message not found.");
            }
        }, cancellationToken);
    }
}

public sealed class GetRawMessageEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}/raw", async Task<IResult> (string id, HttpRequest request, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetRawMessageQuery(MessageIds.FromPath(id), request.Query.StringValue("folder")), ct)).ToHttp(stream =>
                    Results.Stream(stream, "message/rfc822", fileDownloadName: "message.eml")))
            .RequireAuthorization().WithTags("Mail").WithName("GetRawMessage").ReturnsContent(StatusCodes.Status200OK, "The message as stored (RFC 5322), as message.eml.", "message/rfc822").Fails(403).Query("folder", QueryType.Text, "The folder to look in (an id names its folder already).");
    }
}

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

namespace Fayvad.Mail.Features.ListFolders;

internal sealed record ListFoldersQuery : IQuery<Result<ListFoldersResponse>>;

internal sealed record ListFoldersResponse(IReadOnlyList<FolderDto> Folders);

internal sealed class ListFoldersHandler(ICurrentUser caller, IImapSessions sessions) : IQueryHandler<ListFoldersQuery, Result<ListFoldersResponse>>
{
    public async ValueTask<Result<ListFoldersResponse>> Handle(ListFoldersQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunInOwnMailboxAsync<ListFoldersResponse>(caller, async (session, ct) =>
        {
            // One LIST ... RETURN (SPECIAL-USE STATUS (...)) round trip (LIST-STATUS, RFC 5819).
            var folders = await session.ListFoldersAsync(
                StatusItems.Count | StatusItems.Unread | StatusItems.UidValidity | StatusItems.UidNext | StatusItems.HighestModSeq, ct);
            var dtos = folders
                .Select(f => new FolderDto(
                    f.FullName,
                    Folders.DisplayName(f),
                    f.Unread,
                    f.Count,
                    Folders.RoleOf(f),
                    f.ParentFolder is { } parent && !string.IsNullOrEmpty(parent.FullName) ? parent.FullName : null,
                    f.SyncState().Encode()))
                .OrderBy(f => Folders.RoleOrder(f.Role))
                .ThenBy(f => f.Id, StringComparer.OrdinalIgnoreCase)
                .ToList();
            return new ListFoldersResponse(dtos);
        }, cancellationToken);
    }
}

public sealed class ListFoldersEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/folders", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new ListFoldersQuery(), ct)).ToOk()).RequireAuthorization().WithTags("Mail").WithName("ListFolders").Returns<ListFoldersResponse>().Fails(403);
    }
}

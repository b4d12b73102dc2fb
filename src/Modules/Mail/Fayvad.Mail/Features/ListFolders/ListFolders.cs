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

/// <summary>
/// A folder: <paramref name="Id"/> is its IMAP path (what <c>folder=</c> takes), <paramref name="Role"/> its special-use
/// role or null, <paramref name="State"/> its sync state, to follow it with /email/changes/.
/// </summary>
internal sealed record FolderDto(string Id, string Name, int UnreadCount, int TotalCount, string? Role, string? Parent, string? State = null)
{
    // The same facts under the names of the client's later server (HEAD): its types were inbox, sent, drafts, trash, spam, other.
    public string Type => Role switch
    {
        null => "other",
        FolderNames.Junk => "spam",
        _ => Role,
    };

    public int Total => TotalCount;

    public int Unseen => UnreadCount;
}

internal sealed record ListFoldersResponse(IReadOnlyList<FolderDto> Folders);

internal sealed class ListFoldersHandler(ICurrentUser caller, IImapSessions sessions) : IQueryHandler<ListFoldersQuery, Result<ListFoldersResponse>>
{
    public async ValueTask<Result<ListFoldersResponse>> Handle(ListFoldersQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunInOwnMailboxAsync<ListFoldersResponse>(caller, async (client, ct) =>
        {
            // One LIST ... RETURN (SPECIAL-USE STATUS (...)) round trip (LIST-STATUS, RFC 5819).
            var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0],
                StatusItems.Count | StatusItems.Unread | StatusItems.UidValidity | StatusItems.UidNext | StatusItems.HighestModSeq, false, ct);
            var dtos = folders
                .Where(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent) && !f.Attributes.HasFlag(FolderAttributes.NoSelect))
                .Select(f => new FolderDto(
                    f.FullName,
                    Folders.DisplayName(f),
                    f.Unread,
                    f.Count,
                    Folders.RoleOf(f),
                    f.ParentFolder is { } parent && !string.IsNullOrEmpty(parent.FullName) ? parent.FullName : null,
                    SyncState.Of(f).Encode()))
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

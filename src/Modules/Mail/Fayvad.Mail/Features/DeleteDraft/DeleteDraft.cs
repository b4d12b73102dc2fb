using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Drafts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.DeleteDraft;

internal sealed record DeleteDraftCommand(long Id) : ICommand<Result<DeleteDraftResponse>>;

internal sealed record DeleteDraftResponse(long Id, string Message);

/// <summary>Expunges every version of the draft from the caller's Drafts folder; an id not found there is 404.</summary>
internal sealed class DeleteDraftHandler(ICurrentUser caller, IImapSessions sessions) : ICommandHandler<DeleteDraftCommand, Result<DeleteDraftResponse>>
{
    public async ValueTask<Result<DeleteDraftResponse>> Handle(DeleteDraftCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<DeleteDraftResponse>(caller, async (session, ct) =>
            await DraftStore.RemoveAllAsync(session, command.Id, ct)
                ? new DeleteDraftResponse(command.Id, "Draft deleted.")
                : Error.NotFound("Draft not found."), cancellationToken);
}

public sealed class DeleteDraftEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (path, name) in new[] { ("/email/drafts/{id:long}/delete", "DeleteDraft"), ("/email/drafts/{id:long}", "DeleteDraftById") })
        {
            app.MapDelete(ApiRoutes.Root + path, async (long id, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new DeleteDraftCommand(id), ct)).ToOk())
                .RequireAuthorization().WithTags("Mail").WithName(name).Returns<DeleteDraftResponse>().Fails(403);
        }
    }
}

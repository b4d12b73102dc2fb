using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Sync.Data;
using Fayvad.Sync.Watch;
using Fayvad.Sync.Webhooks;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Sync.Features.DeleteWebhook;

internal sealed record DeleteWebhookCommand(long Id) : ICommand<Result<bool>>;

internal sealed class DeleteWebhookHandler(SyncDbContext db, ICurrentUser caller, WebhookInterest interest) : ICommandHandler<DeleteWebhookCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(DeleteWebhookCommand command, CancellationToken cancellationToken)
    {
        var access = WebhookScope.Resolve(caller, null);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var webhook = await db.Webhooks.SingleOrDefaultAsync(w => w.Id == command.Id, cancellationToken);
        if (webhook is null || !WebhookScope.Resolve(caller, webhook.OrganizationId).IsSuccess)
        {
            return Error.NotFound("Webhook not found.");
        }

        // Its queued deliveries go with it (ON DELETE CASCADE): nobody is left to receive them.
        db.Webhooks.Remove(webhook);
        await db.SaveChangesAsync(cancellationToken);
        interest.RefreshSoon();
        return true;
    }
}

public sealed class DeleteWebhookEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/webhooks/{id:long}", async Task<IResult> (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteWebhookCommand(id), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAdmin().WithTags("Webhooks").WithName("DeleteWebhook").Produces(StatusCodes.Status204NoContent).Fails(403);
    }
}

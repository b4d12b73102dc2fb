using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>
/// Removes an alias at once: it holds no mail, so there is nothing to keep for a restore (docs/adr/0034); the
/// address answers 550 (or goes to the catch-all) from the next message on.
/// </summary>
internal sealed record DeleteAliasCommand(long Id) : ICommand<Result<bool>>;

internal sealed class DeleteAliasHandler(DirectoryDbContext db, ICurrentUser caller) : ICommandHandler<DeleteAliasCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(DeleteAliasCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can delete aliases.");
        }

        var alias = await db.Aliases.Include(a => a.Domain).SingleOrDefaultAsync(a => a.Id == command.Id, cancellationToken);
        if (alias is null || !caller.CanManage(alias.Domain.OrganizationId))
        {
            return Error.NotFound("Alias not found.");
        }

        db.Aliases.Remove(alias);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }
}

public sealed class DeleteAliasEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/org/aliases/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteAliasCommand(id), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAdmin().WithTags("Directory").WithName("DeleteAlias").Produces(StatusCodes.Status204NoContent).Fails(403);
    }
}

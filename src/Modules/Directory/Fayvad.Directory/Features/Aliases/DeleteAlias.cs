using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>
/// Deletes an alias: from the next message on its address answers 550 (or goes to the catch-all), and until its
/// retention ends <c>POST org/aliases/{id}/restore/</c> brings it back with its recipients (docs/adr/0034).
/// </summary>
internal sealed record DeleteAliasCommand(long Id) : ICommand<Result<DeletionReceipt>>;

internal sealed class DeleteAliasHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock, IOptions<DeletionOptions> options)
    : ICommandHandler<DeleteAliasCommand, Result<DeletionReceipt>>
{
    public async ValueTask<Result<DeletionReceipt>> Handle(DeleteAliasCommand command, CancellationToken cancellationToken)
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

        var stamp = DeletionStamp.Now(clock, options.Value);
        await db.Aliases.Where(a => a.Id == alias.Id).MarkDeletedAsync(stamp, cancellationToken);
        return new DeletionReceipt(true, DeletedKind.Alias.Wire(), alias.Id, alias.Address, 0, stamp.DeletedAt, stamp.PurgeAfter,
            $"Alias {alias.Address} deleted: its mail is refused from now on. Restore it before {stamp.PurgeAfter:u} with POST org/aliases/{alias.Id}/restore/.");
    }
}

public sealed class DeleteAliasEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/org/aliases/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteAliasCommand(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("DeleteAlias").Returns<DeletionReceipt>().Fails(403);
    }
}

using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Features.DeleteUser;

/// <summary>Deletes a user and, when it has one, its mailbox: its tokens stop working at once; restorable until the retention ends.</summary>
internal sealed record DeleteUserCommand(long Id) : ICommand<Result<DeletionReceipt>>;

internal sealed class DeleteUserHandler(
    DirectoryDbContext db, ICurrentUser caller, IMailboxStore store, TimeProvider clock, IOptions<DeletionOptions> options)
    : ICommandHandler<DeleteUserCommand, Result<DeletionReceipt>>
{
    public async ValueTask<Result<DeletionReceipt>> Handle(DeleteUserCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an administrator can delete users.");
        }

        var user = await db.Users.AsNoTracking().Where(u => u.Id == command.Id)
            .Select(u => new { u.Id, u.Username, u.Role, u.OrganizationId }).SingleOrDefaultAsync(cancellationToken);
        var inScope = user is not null && (caller.IsSuperadmin()
            || (user.OrganizationId is { } org && caller.CanManage(org) && user.Role != UserRole.Superadmin));
        if (user is null || !inScope)
        {
            // Out of scope reads as absent, so ids cannot be probed.
            return Error.NotFound("User not found.");
        }

        if (user.Id == caller.UserId)
        {
            return Error.Validation("id", "You cannot delete your own user.");
        }

        var stamp = DeletionStamp.Now(clock, options.Value);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var addresses = await db.DeleteMailboxesAsync(db.EmailAccounts.Where(a => a.UserId == user.Id), stamp, cancellationToken);
        await db.Users.Where(u => u.Id == user.Id).MarkDeletedAsync(stamp, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await store.EndSessionsAsync(addresses);
        var mailbox = addresses.Count > 0 ? $" and its mailbox {addresses[0]} (mail kept)" : "";
        return new DeletionReceipt(true, "user", user.Id, user.Username, addresses.Count, stamp.DeletedAt, stamp.PurgeAfter,
            $"User {user.Username}{mailbox} deleted: it can no longer log in. Restore it before {stamp.PurgeAfter:u} with POST users/{user.Id}/restore/.");
    }
}

public sealed class DeleteUserEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/users/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteUserCommand(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("DeleteUser").Returns<DeletionReceipt>().Fails(403, 409);
    }
}

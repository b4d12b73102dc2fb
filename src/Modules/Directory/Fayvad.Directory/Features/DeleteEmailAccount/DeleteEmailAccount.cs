using Carter;
using Fayvad.Directory.Access;
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

namespace Fayvad.Directory.Features.DeleteEmailAccount;

/// <summary>Deletes a mailbox and its user: no login, IMAP or delivery from now on; mail kept until the retention ends.</summary>
internal sealed record DeleteEmailAccountCommand(long Id) : ICommand<Result<DeletionReceipt>>;

internal sealed class DeleteEmailAccountHandler(
    DirectoryDbContext db, ICurrentUser caller, IMailboxStore store, TimeProvider clock, IOptions<DeletionOptions> options)
    : ICommandHandler<DeleteEmailAccountCommand, Result<DeletionReceipt>>
{
    public async ValueTask<Result<DeletionReceipt>> Handle(DeleteEmailAccountCommand command, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.AsNoTracking().Where(a => a.Id == command.Id)
            .Select(a => new { a.Id, a.Address, a.UserId, a.Domain.OrganizationId }).SingleOrDefaultAsync(cancellationToken);
        if (account is null || !caller.IsAdmin() || !caller.CanManage(account.OrganizationId))
        {
            return Error.NotFound("Email account not found.");
        }

        if (account.UserId == caller.UserId)
        {
            return Error.Validation("id", "You cannot delete your own mailbox.");
        }

        var stamp = DeletionStamp.Now(clock, options.Value);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var addresses = await db.DeleteMailboxesAsync(db.EmailAccounts.Where(a => a.Id == account.Id), stamp, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await store.EndSessionsAsync(addresses);
        return new DeletionReceipt(true, "email_account", account.Id, account.Address, addresses.Count, stamp.DeletedAt, stamp.PurgeAfter,
            $"Mailbox {account.Address} deleted: it can no longer log in or receive mail. Its mail is kept until {stamp.PurgeAfter:u}; restore it before then with POST org/email-accounts/{account.Id}/restore/.");
    }
}

public sealed class DeleteEmailAccountEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/org/email-accounts/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteEmailAccountCommand(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("DeleteEmailAccount").Returns<DeletionReceipt>().Fails(403, 409);
    }
}

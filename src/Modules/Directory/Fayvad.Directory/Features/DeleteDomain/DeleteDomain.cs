using System.ComponentModel;
using Carter;
using FluentValidation;
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
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Features.DeleteDomain;

/// <summary>
/// Deletes a domain; with <c>?force=true</c> also its mailboxes (and their users), which are otherwise a 409.
/// Everything stays restorable, with its mail, until the retention ends.
/// </summary>
internal sealed record DeleteDomainCommand(long Id, string? Force) : ICommand<Result<DeletionReceipt>>;

internal sealed class DeleteDomainValidator : AbstractValidator<DeleteDomainCommand>
{
    public DeleteDomainValidator() => RuleFor(c => c.Force).MustBeForceFlag();
}

internal sealed class DeleteDomainHandler(
    DirectoryDbContext db, ICurrentUser caller, IMailboxStore store, TimeProvider clock, IOptions<DeletionOptions> options)
    : ICommandHandler<DeleteDomainCommand, Result<DeletionReceipt>>
{
    public async ValueTask<Result<DeletionReceipt>> Handle(DeleteDomainCommand command, CancellationToken cancellationToken)
    {
        var domain = await db.Domains.AsNoTracking().Where(d => d.Id == command.Id)
            .Select(d => new { d.Id, d.Name, d.OrganizationId }).SingleOrDefaultAsync(cancellationToken);
        if (domain is null || !caller.IsAdmin() || !caller.CanManage(domain.OrganizationId))
        {
            return Error.NotFound("Domain not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(domain.OrganizationId, cancellationToken);
        var accounts = db.EmailAccounts.Where(a => a.DomainId == domain.Id);
        var remaining = await accounts.CountAsync(cancellationToken);
        if (remaining > 0 && !ForceFlag.IsSet(command.Force))
        {
            return Error.Conflict($"{SoftDeletion.Plural(remaining, "mailbox remains", "mailboxes remain")} in {domain.Name}: "
                + "delete them first, or delete with ?force=true to delete them with the domain (restorable, mail kept).");
        }

        if (await accounts.AnyAsync(a => a.UserId == caller.UserId, cancellationToken))
        {
            return Error.Validation("id", $"You cannot delete {domain.Name}: your own mailbox is in it.");
        }

        var stamp = DeletionStamp.Now(clock, options.Value);
        var addresses = await db.DeleteMailboxesAsync(accounts, stamp, cancellationToken);
        await db.Domains.Where(d => d.Id == domain.Id).MarkDeletedAsync(stamp, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await store.EndSessionsAsync(addresses);
        return new DeletionReceipt(true, "domain", domain.Id, domain.Name, addresses.Count, stamp.DeletedAt, stamp.PurgeAfter,
            $"Domain {domain.Name} deleted with {SoftDeletion.Plural(addresses.Count, "mailbox", "mailboxes")}: no login or delivery from now on. "
            + $"Restore it before {stamp.PurgeAfter:u} with POST domains/{domain.Id}/restore/.");
    }
}

public sealed class DeleteDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapDelete(ApiRoutes.Root + "/domains/{id:long}", async (long id,
                    [FromQuery(Name = "force"), Description("true deletes a domain that still has mailboxes (they are deleted with it).")] QueryFlag? force,
                    ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteDomainCommand(id, force?.Text), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("DeleteDomain").Returns<DeletionReceipt>().Fails(403, 409);
    }
}

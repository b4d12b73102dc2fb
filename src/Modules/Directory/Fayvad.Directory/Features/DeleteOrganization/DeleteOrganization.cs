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

namespace Fayvad.Directory.Features.DeleteOrganization;

/// <summary>
/// Deletes an organization with its domains and users; with <c>?force=true</c> also its mailboxes, which are otherwise
/// a 409. Everything stays restorable, with its mail, until the retention ends.
/// </summary>
internal sealed record DeleteOrganizationCommand(long Id, string? Force) : ICommand<Result<DeletionReceipt>>;

internal sealed class DeleteOrganizationValidator : AbstractValidator<DeleteOrganizationCommand>
{
    public DeleteOrganizationValidator() => RuleFor(c => c.Force).MustBeForceFlag();
}

internal sealed class DeleteOrganizationHandler(
    DirectoryDbContext db, ICurrentUser caller, IMailboxStore store, TimeProvider clock, IOptions<DeletionOptions> options)
    : ICommandHandler<DeleteOrganizationCommand, Result<DeletionReceipt>>
{
    public async ValueTask<Result<DeletionReceipt>> Handle(DeleteOrganizationCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can delete organizations.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(command.Id, cancellationToken);
        var organization = await db.Organizations.AsNoTracking().Where(o => o.Id == command.Id)
            .Select(o => new { o.Id, o.Name }).SingleOrDefaultAsync(cancellationToken);
        if (organization is null)
        {
            return Error.NotFound("Organization not found.");
        }

        if (caller.OrganizationId == organization.Id)
        {
            return Error.Validation("id", "You cannot delete your own organization.");
        }

        var accounts = db.EmailAccounts.Where(a => a.Domain.OrganizationId == organization.Id);
        var remaining = await accounts.CountAsync(cancellationToken);
        if (remaining > 0 && !ForceFlag.IsSet(command.Force))
        {
            return Error.Conflict($"{SoftDeletion.Plural(remaining, "mailbox remains", "mailboxes remain")} in {organization.Name}: "
                + "delete them first, or delete with ?force=true to delete them with the organization (restorable, mail kept).");
        }

        var stamp = DeletionStamp.Now(clock, options.Value);
        var addresses = await db.DeleteMailboxesAsync(accounts, stamp, cancellationToken);
        await db.Users.Where(u => u.OrganizationId == organization.Id).MarkDeletedAsync(stamp, cancellationToken);
        var domains = await db.Domains.Where(d => d.OrganizationId == organization.Id).MarkDeletedAsync(stamp, cancellationToken);
        await db.Organizations.Where(o => o.Id == organization.Id).MarkDeletedAsync(stamp, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await store.EndSessionsAsync(addresses);
        return new DeletionReceipt(true, "organization", organization.Id, organization.Name, addresses.Count, stamp.DeletedAt, stamp.PurgeAfter,
            $"Organization {organization.Name} deleted with {SoftDeletion.Plural(domains, "domain", "domains")} and "
            + $"{SoftDeletion.Plural(addresses.Count, "mailbox", "mailboxes")}: no login or delivery from now on. "
            + $"Restore it before {stamp.PurgeAfter:u} with POST admin/organizations/{organization.Id}/restore/.");
    }
}

public sealed class DeleteOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var delete = async (long id,
            [FromQuery(Name = "force"), Description("true deletes an organization that still has domains or mailboxes.")] QueryFlag? force,
            ISender sender, CancellationToken ct) =>
            (await sender.Send(new DeleteOrganizationCommand(id, force?.Text), ct)).ToOk();
        app.MapDelete(ApiRoutes.Root + "/admin/organizations/{id:long}", delete)
            .RequireSuperadmin().WithTags("Directory").WithName("DeleteOrganization").Returns<DeletionReceipt>().Fails(403, 409);
        // The client's own server answered here.
        app.MapDelete(ApiRoutes.Root + "/admin/organizations/{id:long}/delete", delete)
            .RequireSuperadmin().WithTags("Directory").WithName("DeleteOrganizationAlias").Returns<DeletionReceipt>().Fails(403, 409);
    }
}

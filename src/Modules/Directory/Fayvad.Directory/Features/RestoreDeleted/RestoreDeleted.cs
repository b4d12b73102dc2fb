using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
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

namespace Fayvad.Directory.Features.RestoreDeleted;

/// <summary>
/// Undoes a deletion while its retention lasts: the row and everything deleted with it (same stamp) come back, mail
/// intact; things deleted earlier on their own stay deleted. What it belongs to must not be deleted itself.
/// </summary>
internal sealed record RestoreDeletedCommand(DeletedKind Kind, long Id) : ICommand<Result<RestoreReceipt>>;

internal sealed record RestoreReceipt(bool Success, string Kind, long Id, string Name, int MailboxesRestored, string Detail);

internal sealed class RestoreDeletedHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<RestoreDeletedCommand, Result<RestoreReceipt>>
{
    public async ValueTask<Result<RestoreReceipt>> Handle(RestoreDeletedCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin() || (command.Kind == DeletedKind.Organization && !caller.IsSuperadmin()))
        {
            return Error.Forbidden("Only an administrator can restore what was deleted.");
        }

        var target = await FindAsync(command, cancellationToken);
        if (target is null || (target.OrganizationId is { } org ? !caller.CanManage(org) : !caller.IsSuperadmin()))
        {
            return Error.NotFound($"No deleted {Noun(command.Kind)} with id {command.Id}.");
        }

        if (!target.Restorable)
        {
            return Error.Gone($"The {Noun(command.Kind)} {target.Name} is past its retention and is being purged; it can no longer be restored.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (target.OrganizationId is { } organizationId)
        {
            await db.LockOrganizationAsync(organizationId, cancellationToken);
        }

        if (await BlockedByParentAsync(command.Kind, target, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        var accounts = Mailboxes(command.Kind, command.Id, target.DeletedAt);
        if (command.Kind != DeletedKind.Organization && await ExceedsLimitsAsync(accounts, target.OrganizationId, cancellationToken) is { } limit)
        {
            return limit;
        }

        var mailboxes = await RestoreAsync(command.Kind, command.Id, target.DeletedAt, accounts, cancellationToken);
        if (mailboxes < 0)
        {
            // The purge reached it between the check and now.
            return Error.Gone($"The {Noun(command.Kind)} {target.Name} is past its retention and is being purged; it can no longer be restored.");
        }

        await transaction.CommitAsync(cancellationToken);
        return new RestoreReceipt(true, command.Kind.Wire(), command.Id, target.Name, mailboxes,
            $"{char.ToUpperInvariant(Noun(command.Kind)[0])}{Noun(command.Kind)[1..]} {target.Name} restored"
            + (mailboxes > 0 ? $" with {SoftDeletion.Plural(mailboxes, "mailbox", "mailboxes")} and their mail." : "."));
    }

    private sealed record Target(string Name, long? OrganizationId, long? DomainId, DateTimeOffset DeletedAt, bool Restorable);

    // DateTimeOffset.UtcNow inside a query is the database's now(): the purge compares with the same clock.
    private async Task<Target?> FindAsync(RestoreDeletedCommand command, CancellationToken ct)
    {
        var superadmin = caller.IsSuperadmin();
        return command.Kind switch
        {
            DeletedKind.Organization => await db.Organizations.IgnoreQueryFilters().Where(o => o.Id == command.Id && o.DeletedAt != null)
                .Select(o => new Target(o.Name, o.Id, null, o.DeletedAt!.Value, o.PurgeAfter > DateTimeOffset.UtcNow)).SingleOrDefaultAsync(ct),
            DeletedKind.Domain => await db.Domains.IgnoreQueryFilters().Where(d => d.Id == command.Id && d.DeletedAt != null)
                .Select(d => new Target(d.Name, d.OrganizationId, d.Id, d.DeletedAt!.Value, d.PurgeAfter > DateTimeOffset.UtcNow)).SingleOrDefaultAsync(ct),
            DeletedKind.EmailAccount => await db.EmailAccounts.IgnoreQueryFilters().Where(a => a.Id == command.Id && a.DeletedAt != null)
                .Select(a => new Target(a.Address, a.Domain.OrganizationId, a.DomainId, a.DeletedAt!.Value, a.PurgeAfter > DateTimeOffset.UtcNow)).SingleOrDefaultAsync(ct),
            DeletedKind.Alias => await db.Aliases.IgnoreQueryFilters().Where(a => a.Id == command.Id && a.DeletedAt != null)
                .Select(a => new Target(a.Address, a.Domain.OrganizationId, a.DomainId, a.DeletedAt!.Value, a.PurgeAfter > DateTimeOffset.UtcNow)).SingleOrDefaultAsync(ct),
            _ => await db.Users.IgnoreQueryFilters().Where(u => u.Id == command.Id && u.DeletedAt != null && (superadmin || u.Role != UserRole.Superadmin))
                .Select(u => new Target(u.Username, u.OrganizationId, u.EmailAccount == null ? null : u.EmailAccount.DomainId, u.DeletedAt!.Value,
                    u.PurgeAfter > DateTimeOffset.UtcNow)).SingleOrDefaultAsync(ct),
        };
    }

    /// <summary>A mailbox cannot come back into a deleted domain, nor anything into a deleted organization.</summary>
    private async Task<Error?> BlockedByParentAsync(DeletedKind kind, Target target, CancellationToken ct)
    {
        if (kind != DeletedKind.Organization && target.OrganizationId is { } org
            && await db.Organizations.IgnoreQueryFilters().Where(o => o.Id == org && o.DeletedAt != null).Select(o => o.Name).SingleOrDefaultAsync(ct) is { } orgName)
        {
            return Error.Conflict($"Its organization {orgName} is deleted: restore the organization first (POST admin/organizations/{org}/restore/).");
        }

        if (kind is DeletedKind.EmailAccount or DeletedKind.User or DeletedKind.Alias && target.DomainId is { } domain
            && await db.Domains.IgnoreQueryFilters().Where(d => d.Id == domain && d.DeletedAt != null).Select(d => d.Name).SingleOrDefaultAsync(ct) is { } domainName)
        {
            return Error.Conflict($"Its domain {domainName} is deleted: restore the domain first (POST domains/{domain}/restore/).");
        }

        // A mailbox may have taken a deleted alias's address meanwhile (a new alias there would have replaced it).
        if (kind == DeletedKind.Alias && await db.EmailAccounts.IgnoreQueryFilters().AnyAsync(a => a.Address == target.Name, ct))
        {
            return Error.Conflict($"{target.Name} is a mailbox's address now: the alias cannot come back.");
        }

        return null;
    }

    /// <summary>The mailboxes that come back with this restore: those deleted together with the target.</summary>
    private IQueryable<Model.EmailAccount> Mailboxes(DeletedKind kind, long id, DateTimeOffset deletedAt)
    {
        var deleted = db.EmailAccounts.IgnoreQueryFilters().Where(a => a.DeletedAt == deletedAt);
        return kind switch
        {
            DeletedKind.Organization => deleted.Where(a => a.Domain.OrganizationId == id),
            DeletedKind.Domain => deleted.Where(a => a.DomainId == id),
            DeletedKind.EmailAccount => deleted.Where(a => a.Id == id),
            DeletedKind.Alias => deleted.Where(a => false),
            _ => deleted.Where(a => a.UserId == id),
        };
    }

    /// <summary>Accounts created meanwhile may have used the room the deleted ones left: the limits still hold.</summary>
    private async Task<Error?> ExceedsLimitsAsync(IQueryable<Model.EmailAccount> restoring, long? organizationId, CancellationToken ct)
    {
        if (organizationId is not { } orgId)
        {
            return null;
        }

        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == orgId, ct);
        var coming = await restoring.Select(a => new { a.DomainId, a.QuotaMb }).ToListAsync(ct);
        if (coming.Count == 0)
        {
            return null;
        }

        var current = db.EmailAccounts.Where(a => a.Domain.OrganizationId == orgId);
        if (organization.MaxAccounts > 0 && await current.CountAsync(ct) + coming.Count > organization.MaxAccounts)
        {
            return Error.Conflict($"Restoring would exceed {organization.Name}'s limit of {organization.MaxAccounts} email accounts: raise max_users or delete others first.");
        }

        if (organization.TotalQuotaMb > 0 && await current.SumAsync(a => (long)a.QuotaMb, ct) + coming.Sum(a => (long)a.QuotaMb) > organization.TotalQuotaMb)
        {
            return Error.Conflict($"Restoring would exceed {organization.Name}'s storage of {organization.TotalQuotaMb} MB: raise max_storage_gb first.");
        }

        foreach (var group in coming.GroupBy(a => a.DomainId))
        {
            var domain = await db.Domains.IgnoreQueryFilters().AsNoTracking().SingleAsync(d => d.Id == group.Key, ct);
            if (domain.TotalQuotaMb > 0
                && await current.Where(a => a.DomainId == domain.Id).SumAsync(a => (long)a.QuotaMb, ct) + group.Sum(a => (long)a.QuotaMb) > domain.TotalQuotaMb)
            {
                return Error.Conflict($"Restoring would exceed domain {domain.Name}'s quota of {domain.TotalQuotaMb} MB: raise its quota first.");
            }
        }

        return null;
    }

    /// <summary>Clears the stamp on the target and everything deleted with it; -1 when the target was no longer restorable.</summary>
    private async Task<int> RestoreAsync(DeletedKind kind, long id, DateTimeOffset deletedAt, IQueryable<Model.EmailAccount> accounts, CancellationToken ct)
    {
        var mailboxes = await accounts.Select(a => new { a.Id, a.UserId }).ToListAsync(ct);

        // The target first, guarded by the retention: a purge pass holding it FOR UPDATE makes this wait, then find nothing.
        var restored = kind switch
        {
            DeletedKind.Organization => await db.Organizations.Restorable().Where(o => o.Id == id).RestoreAsync(deletedAt, ct),
            DeletedKind.Domain => await db.Domains.Restorable().Where(d => d.Id == id).RestoreAsync(deletedAt, ct),
            DeletedKind.EmailAccount => await db.EmailAccounts.Restorable().Where(a => a.Id == id).RestoreAsync(deletedAt, ct),
            DeletedKind.Alias => await db.Aliases.Restorable().Where(a => a.Id == id).RestoreAsync(deletedAt, ct),
            _ => await db.Users.Restorable().Where(u => u.Id == id).RestoreAsync(deletedAt, ct),
        };
        if (restored == 0)
        {
            return -1;
        }

        // Each mailbox comes back with its user (restoring either half of the pair restores both).
        var accountIds = mailboxes.Select(m => m.Id).ToList();
        var userIds = mailboxes.Select(m => m.UserId).ToList();
        await db.EmailAccounts.IgnoreQueryFilters().Where(a => accountIds.Contains(a.Id)).RestoreAsync(deletedAt, ct);
        await db.Users.IgnoreQueryFilters().Where(u => userIds.Contains(u.Id)).RestoreAsync(deletedAt, ct);
        if (kind == DeletedKind.Organization)
        {
            await db.Domains.IgnoreQueryFilters().Where(d => d.OrganizationId == id).RestoreAsync(deletedAt, ct);
            await db.Users.IgnoreQueryFilters().Where(u => u.OrganizationId == id).RestoreAsync(deletedAt, ct);
        }

        return mailboxes.Count;
    }

    private static string Noun(DeletedKind kind) => kind switch
    {
        DeletedKind.Organization => "organization",
        DeletedKind.Domain => "domain",
        DeletedKind.EmailAccount => "email account",
        DeletedKind.Alias => "alias",
        _ => "user",
    };
}

public sealed class RestoreDeletedEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (kind, path) in DeletedKinds.Paths)
        {
            app.MapPost(ApiRoutes.Root + path + "/{id:long}/restore", async (long id, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new RestoreDeletedCommand(kind, id), ct)).ToOk())
                .RequireRoles(kind == DeletedKind.Organization ? EndpointAccess.Superadmins : EndpointAccess.Admins).WithTags("Directory").WithName("Restore" + kind).Returns<RestoreReceipt>().Fails(403, 409, 410);
        }
    }
}

using Fayvad.Directory.Data;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Deletion;

/// <summary>
/// A deleted row keeps its name (address, domain, organization name) until it is purged, so that it can be restored:
/// creating the same name meanwhile is a 409 that says so, not a generic "already exists".
/// </summary>
internal static class DeletedNames
{
    public static async Task<Error?> DeletedAddressAsync(this DirectoryDbContext db, string address, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.IgnoreQueryFilters().Where(a => a.Address == address && a.DeletedAt != null)
            .Select(a => new { a.Id, a.PurgeAfter }).FirstOrDefaultAsync(cancellationToken);
        if (account is not null)
        {
            return Error.Conflict($"The address {address} belongs to a deleted mailbox that can be restored until {account.PurgeAfter:u} "
                + $"(POST org/email-accounts/{account.Id}/restore/); it cannot be used again before then.");
        }

        var user = await db.Users.IgnoreQueryFilters().Where(u => u.Username == address && u.DeletedAt != null)
            .Select(u => new { u.Id, u.PurgeAfter }).FirstOrDefaultAsync(cancellationToken);
        return user is null
            ? null
            : Error.Conflict($"The name {address} belongs to a deleted user that can be restored until {user.PurgeAfter:u} "
                + $"(POST users/{user.Id}/restore/); it cannot be used again before then.");
    }

    public static async Task<Error?> DeletedDomainAsync(this DirectoryDbContext db, string name, CancellationToken cancellationToken)
    {
        var domain = await db.Domains.IgnoreQueryFilters().Where(d => d.Name == name && d.DeletedAt != null)
            .Select(d => new { d.Id, d.PurgeAfter }).FirstOrDefaultAsync(cancellationToken);
        return domain is null
            ? null
            : Error.Conflict($"The domain {name} was deleted and can be restored until {domain.PurgeAfter:u} "
                + $"(POST domains/{domain.Id}/restore/); it cannot be created again before then.");
    }

    public static async Task<Error?> DeletedOrganizationAsync(this DirectoryDbContext db, string name, string slug, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.IgnoreQueryFilters().Where(o => (o.Name == name || o.Slug == slug) && o.DeletedAt != null)
            .Select(o => new { o.Id, o.Name, o.PurgeAfter }).FirstOrDefaultAsync(cancellationToken);
        return organization is null
            ? null
            : Error.Conflict($"The organization {organization.Name} was deleted and can be restored until {organization.PurgeAfter:u} "
                + $"(POST admin/organizations/{organization.Id}/restore/); its name cannot be used again before then.");
    }
}

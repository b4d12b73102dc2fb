using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Access;

/// <summary>
/// Limits of organizations and domains: account count and quota allocation. Callers run these inside a transaction
/// after <see cref="LockOrganizationAsync"/>, so two concurrent requests cannot both take the last free megabytes.
/// </summary>
internal static class QuotaRules
{
    public static Task LockOrganizationAsync(this DirectoryDbContext db, long organizationId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"SELECT 1 FROM directory.organizations WHERE id = {organizationId} FOR UPDATE", cancellationToken);

    /// <summary>Checks that an account of <paramref name="quotaMb"/> fits, not counting the account being changed.</summary>
    public static async Task<Error?> CheckAccountFitsAsync(
        this DirectoryDbContext db, MailDomain domain, int quotaMb, long? existingAccountId, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == domain.OrganizationId, cancellationToken);
        var orgAccounts = db.EmailAccounts.Where(a => a.Domain.OrganizationId == organization.Id && a.Id != existingAccountId);

        if (existingAccountId is null && organization.MaxAccounts > 0
            && await orgAccounts.CountAsync(cancellationToken) >= organization.MaxAccounts)
        {
            return Error.Validation("address",
                $"Organization '{organization.Name}' has reached its limit of {organization.MaxAccounts} email accounts.");
        }

        if ((organization.TotalQuotaMb > 0 || domain.TotalQuotaMb > 0) && quotaMb == 0)
        {
            return Error.Validation("quota_mb", "quota_mb must be set (above 0) when the domain or organization has a total quota.");
        }

        if (domain.TotalQuotaMb > 0)
        {
            var allocated = await orgAccounts.Where(a => a.DomainId == domain.Id).SumAsync(a => (long)a.QuotaMb, cancellationToken);
            if (allocated + quotaMb > domain.TotalQuotaMb)
            {
                return Error.Validation("quota_mb",
                    $"quota_mb {quotaMb} exceeds what is left of domain '{domain.Name}' ({domain.TotalQuotaMb - allocated} MB of {domain.TotalQuotaMb} MB).");
            }
        }

        if (organization.TotalQuotaMb > 0)
        {
            var allocated = await orgAccounts.SumAsync(a => (long)a.QuotaMb, cancellationToken);
            if (allocated + quotaMb > organization.TotalQuotaMb)
            {
                return Error.Validation("quota_mb",
                    $"quota_mb {quotaMb} exceeds what is left of organization '{organization.Name}' ({organization.TotalQuotaMb - allocated} MB of {organization.TotalQuotaMb} MB).");
            }
        }

        return null;
    }
}

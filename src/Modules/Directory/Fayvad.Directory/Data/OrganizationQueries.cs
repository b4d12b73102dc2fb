using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

/// <summary>An organization with its usage, as the admin screens show it.</summary>
internal sealed record OrganizationDto(
    long Id,
    string Name,
    string Slug,
    string Status,
    int DomainsCount,
    int AccountsCount,
    int MaxAccounts,
    long QuotaAllocatedMb,
    int TotalQuotaMb,
    long StorageUsedBytes,
    DateTimeOffset CreatedAt);

internal static class OrganizationQueries
{
    public static IQueryable<OrganizationDto> SelectDto(this IQueryable<Organization> organizations, DirectoryDbContext db) =>
        organizations.Select(o => new OrganizationDto(
            o.Id,
            o.Name,
            o.Slug,
            o.Status == OrganizationStatus.Active ? "active" : "disabled",
            o.Domains.Count,
            o.Domains.SelectMany(d => d.Accounts).Count(),
            o.MaxAccounts,
            o.Domains.SelectMany(d => d.Accounts).Sum(a => (long)a.QuotaMb),
            o.TotalQuotaMb,
            db.MailboxUsage.Where(m => o.Domains.SelectMany(d => d.Accounts).Any(a => a.Address == m.Email)).Sum(m => m.Bytes),
            o.CreatedAt));
}

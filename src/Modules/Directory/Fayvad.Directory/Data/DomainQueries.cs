using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

internal sealed record DomainDto(
    long Id,
    string Name,
    OrganizationRef Organization,
    bool Enabled,
    int DefaultMailboxQuotaMb,
    int TotalQuotaMb,
    int AccountsCount,
    long QuotaAllocatedMb,
    long StorageUsedBytes,
    DateTimeOffset CreatedAt);

internal static class DomainQueries
{
    public static IQueryable<DomainDto> SelectDto(this IQueryable<MailDomain> domains, DirectoryDbContext db) =>
        domains.Select(d => new DomainDto(
            d.Id,
            d.Name,
            new OrganizationRef(d.Organization.Id, d.Organization.Name, d.Organization.Slug),
            d.Enabled,
            d.DefaultMailboxQuotaMb,
            d.TotalQuotaMb,
            d.Accounts.Count,
            d.Accounts.Sum(a => (long)a.QuotaMb),
            db.MailboxUsage.Where(m => d.Accounts.Any(a => a.Address == m.Email)).Sum(m => m.Bytes),
            d.CreatedAt));
}

using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

/// <summary>Storage as the client's pages show it: MB used, MB allowed (0 = no limit), per cent used (one decimal).</summary>
internal sealed record StorageUsage(double UsedMb, long LimitMb, double Percentage);

/// <summary>
/// An organization with its usage, as the admin screens show it: our fields and the client's (docs/adr/0010):
/// <c>domain_name</c> (its first domain), <c>is_active</c>, <c>current_users</c>, <c>max_users</c>,
/// <c>max_storage_gb</c> (GB), <c>storage_usage</c> and <c>storage_used_mb</c> (MB).
/// </summary>
internal sealed record OrganizationDto(
    long Id,
    string Name,
    string Slug,
    string Status,
    string DomainName,
    int DomainsCount,
    int AccountsCount,
    int MaxAccounts,
    long QuotaAllocatedMb,
    int TotalQuotaMb,
    long StorageUsedBytes,
    DateTimeOffset CreatedAt)
{
    public bool IsActive => Status == "active";
    public int CurrentUsers => AccountsCount;
    public int MaxUsers => MaxAccounts;
    public int MaxStorageGb => StorageUnits.ToGb(TotalQuotaMb);
    public double StorageUsedMb => StorageUnits.ToMb(StorageUsedBytes);

    public StorageUsage StorageUsage => new(
        StorageUsedMb,
        TotalQuotaMb,
        TotalQuotaMb == 0 ? 0 : Math.Min(100, Math.Round(StorageUsedBytes * 100.0 / (TotalQuotaMb * StorageUnits.BytesPerMb), 1)));
}

/// <summary>The client counts storage in GB (organizations) and MB (domains, mailboxes); we store MB.</summary>
internal static class StorageUnits
{
    public const int MbPerGb = 1024;
    public const double BytesPerMb = 1024 * 1024;

    /// <summary>Whole GB, rounded up: a limit that is not a whole number of GB never reads as 0 (= no limit).</summary>
    public static int ToGb(int mb) => (mb + MbPerGb - 1) / MbPerGb;

    public static double ToMb(long bytes) => Math.Round(bytes / BytesPerMb, 2);
}

internal static class OrganizationQueries
{
    public static IQueryable<OrganizationDto> SelectDto(this IQueryable<Organization> organizations, DirectoryDbContext db) =>
        organizations.Select(o => new OrganizationDto(
            o.Id,
            o.Name,
            o.Slug,
            o.Status == OrganizationStatus.Active ? "active" : "disabled",
            o.Domains.OrderBy(d => d.Id).Select(d => d.Name).FirstOrDefault() ?? "",
            o.Domains.Count,
            o.Domains.SelectMany(d => d.Accounts).Count(),
            o.MaxAccounts,
            o.Domains.SelectMany(d => d.Accounts).Sum(a => (long)a.QuotaMb),
            o.TotalQuotaMb,
            db.MailboxUsage.Where(m => o.Domains.SelectMany(d => d.Accounts).Any(a => a.Address == m.Email)).Sum(m => m.Bytes),
            o.CreatedAt));
}

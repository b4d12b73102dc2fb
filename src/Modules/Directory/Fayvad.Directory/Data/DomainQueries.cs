using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

/// <summary>
/// A domain with our fields and the client's (docs/adr/0010): <c>quota</c> (MB, 0 = no limit),
/// <c>default_mailbox_quota</c> (MB), <c>total_mailboxes</c>, <c>total_aliases</c>, <c>type</c> ("domain" or "aliasdomain",
/// whose <c>target_domain</c> names the domain it answers for) the three flags and <c>spam_threshold</c>; <c>dns_status</c> and
/// <c>dns_checked_at</c> are the last DNS check's (null before the first).
/// </summary>
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
    bool DkimEnabled,
    bool Antivirus,
    bool Antispam,
    int SpamThreshold,
    string Type,
    string? TargetDomain,
    int TotalAliases,
    DateTimeOffset CreatedAt,
    string? DnsStatus,
    DateTimeOffset? DnsCheckedAt,
    int MessageLimit)
{
    /// <summary>A domain that hosts mailboxes and aliases.</summary>
    public const string HostedType = DomainTypes.Hosted;

    public int Quota => TotalQuotaMb;
    public int DefaultMailboxQuota => DefaultMailboxQuotaMb;
    public int TotalMailboxes => AccountsCount;
}

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
            d.DkimEnabled,
            d.Antivirus,
            d.Antispam,
            d.SpamThreshold,
            d.Type,
            d.AliasTarget != null ? d.AliasTarget.Name : null,
            db.Aliases.Count(a => a.DomainId == d.Id),
            d.CreatedAt,
            // The last DNS check (docs/adr/0019): null until one ran.
            db.DnsChecks.Where(c => c.DomainId == d.Id).Select(c => c.Status).FirstOrDefault(),
            db.DnsChecks.Where(c => c.DomainId == d.Id).Select(c => (DateTimeOffset?)c.CheckedAt).FirstOrDefault(),
            d.MessageLimit));
}

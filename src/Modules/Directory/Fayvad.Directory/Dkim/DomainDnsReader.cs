using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Dkim;

internal sealed record DomainDnsSubject(long Id, string Name, bool Enabled, bool DkimEnabled, List<DkimKeyView> Keys);

internal sealed record LastDnsCheckDto(DateTimeOffset CheckedAt, string Status);

/// <summary>What GET dns/ (and generate-*, dkim/rotate/) answer.</summary>
internal sealed record DomainDnsDto(long DomainId, string Domain, DkimStatusDto Dkim, IReadOnlyList<DnsRecordDto> Records, LastDnsCheckDto? LastCheck);

/// <summary>Loads a domain's DNS facts for an admin of its organization (others get 404, as for the domain itself).</summary>
internal static class DomainDnsReader
{
    public static async Task<Result<DomainDnsSubject>> LoadAsync(DirectoryDbContext db, ICurrentUser caller, long id, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.NotFound("Domain not found.");
        }

        var domain = await db.Domains.AsNoTracking().VisibleTo(caller).Where(d => d.Id == id)
            .Select(d => new { d.Id, d.Name, d.Enabled, d.DkimEnabled, d.OrganizationId })
            .SingleOrDefaultAsync(cancellationToken);
        if (domain is null || !caller.CanManage(domain.OrganizationId))
        {
            return Error.NotFound("Domain not found.");
        }

        return new DomainDnsSubject(domain.Id, domain.Name, domain.Enabled, domain.DkimEnabled, await KeysAsync(db, id, cancellationToken));
    }

    /// <summary>For the operator's commands on the Host's command line (no HTTP caller): the domain by name, or null.</summary>
    public static async Task<DomainDnsSubject?> LoadByNameAsync(DirectoryDbContext db, string name, CancellationToken cancellationToken)
    {
        var lower = name.Trim().TrimEnd('.').ToLowerInvariant();
        var domain = await db.Domains.AsNoTracking().Where(d => d.Name == lower)
            .Select(d => new { d.Id, d.Name, d.Enabled, d.DkimEnabled })
            .SingleOrDefaultAsync(cancellationToken);
        return domain is null
            ? null
            : new DomainDnsSubject(domain.Id, domain.Name, domain.Enabled, domain.DkimEnabled, await KeysAsync(db, domain.Id, cancellationToken));
    }

    private static Task<List<DkimKeyView>> KeysAsync(DirectoryDbContext db, long domainId, CancellationToken cancellationToken) =>
        db.DkimKeys.AsNoTracking().Where(k => k.DomainId == domainId).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id)
            .Select(k => new DkimKeyView(k.Selector, k.PublicKey, k.State, k.RetiredAt)).ToListAsync(cancellationToken);

    public static async Task<DomainDnsDto> ViewAsync(
        DirectoryDbContext db, DomainDnsSubject subject, DnsOptions options, DateTimeOffset now, string? purpose, CancellationToken cancellationToken)
    {
        var records = DomainDnsRecords.For(subject.Name, subject.Keys, options, now)
            .Where(r => purpose is null || r.Purpose == purpose).ToList();
        var last = await db.DnsChecks.AsNoTracking().Where(c => c.DomainId == subject.Id)
            .Select(c => new LastDnsCheckDto(c.CheckedAt, c.Status)).SingleOrDefaultAsync(cancellationToken);
        return new DomainDnsDto(subject.Id, subject.Name, DomainDnsRecords.Status(subject.Enabled, subject.DkimEnabled, subject.Keys), records, last);
    }
}

using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>The checks an alias's address and recipients pass on create and update (docs/adr/0034).</summary>
internal static class AliasWrites
{
    public const int DescriptionMaxLength = 200;

    /// <summary>"name@domain", or "@domain" for the domain's catch-all; the domain one the caller administers.</summary>
    public static async Task<Result<(string Address, string LocalPart, MailDomain Domain)>> ResolveAddressAsync(
        DirectoryDbContext db, ICurrentUser caller, string? value, CancellationToken cancellationToken)
    {
        var address = Addresses.Normalize(value ?? "");
        var at = address.LastIndexOf('@');
        var local = at > 0 ? address[..at] : "";
        var domainName = at >= 0 ? address[(at + 1)..] : "";
        if (at < 0 || !Addresses.IsDomainName(domainName) || (local.Length > 0 && !Addresses.IsAddress(address)))
        {
            return Error.Validation("address", "address must be an email address such as info@example.com, or @example.com for the domain's catch-all.");
        }

        var domain = await db.Domains.SingleOrDefaultAsync(d => d.Name == domainName, cancellationToken);
        if (domain is null || !caller.CanManage(domain.OrganizationId))
        {
            return Error.Validation("address", $"address: the domain '{domainName}' is not one of your organization's domains.");
        }

        if (domain.Type == DomainTypes.Alias)
        {
            var target = await db.Domains.Where(d => d.Id == domain.AliasTargetId).Select(d => d.Name).SingleOrDefaultAsync(cancellationToken);
            return Error.Validation("address",
                $"address: '{domainName}' is an alias domain of '{target}': add the alias at {target}, and it answers at both.");
        }

        return (address, local, domain);
    }

    /// <summary>An address a mailbox has (or a deleted one keeps until purged) cannot become an alias.</summary>
    public static async Task<Error?> CheckNotShadowingAsync(DirectoryDbContext db, string address, long? exceptAliasId, CancellationToken cancellationToken)
    {
        if (await db.EmailAccounts.IgnoreQueryFilters().AnyAsync(a => a.Address == address, cancellationToken))
        {
            return Error.Conflict($"address: {address} is a mailbox's address (or a deleted mailbox's, until it is purged); an alias cannot take it.");
        }

        return await db.Aliases.IgnoreQueryFilters().AnyAsync(a => a.Address == address && a.Id != exceptAliasId, cancellationToken)
            ? Error.Conflict($"address: the alias {address} already exists.")
            : null;
    }

    public static Error? CheckInternalOnly(string localPart, bool internalOnly) =>
        internalOnly && localPart.Length == 0
            ? Error.Validation("internal_only", "internal_only cannot be set on a catch-all: it would also refuse outside mail for names that are not aliases.")
            : null;
}

using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;

namespace Fayvad.Directory.Access;

/// <summary>The domains a caller may see: all (superadmin), their organization's (org admin), their mailbox's (user).</summary>
internal static class DomainScope
{
    public static IQueryable<MailDomain> VisibleTo(this IQueryable<MailDomain> domains, ICurrentUser caller) => caller.Role switch
    {
        UserRole.Superadmin => domains,
        UserRole.OrgAdmin => domains.Where(d => d.OrganizationId == caller.OrganizationId),
        _ => domains.Where(d => d.Accounts.Any(a => a.UserId == caller.UserId)),
    };
}

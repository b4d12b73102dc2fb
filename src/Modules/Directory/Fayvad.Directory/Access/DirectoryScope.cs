using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;

namespace Fayvad.Directory.Access;

/// <summary>Which organizations a caller may see and manage: all (superadmin), their own (org admin), none (user).</summary>
internal static class DirectoryScope
{
    public static bool IsSuperadmin(this ICurrentUser user) => user.Role == UserRole.Superadmin;

    public static bool CanManage(this ICurrentUser user, long organizationId) =>
        user.Role == UserRole.Superadmin || (user.Role == UserRole.OrgAdmin && user.OrganizationId == organizationId);

    public static bool IsAdmin(this ICurrentUser user) => user.Role is UserRole.Superadmin or UserRole.OrgAdmin;

    /// <summary>The organization an admin's request applies to: the one asked for (superadmin) or their own.</summary>
    public static Result<long?> ResolveOrganization(this ICurrentUser user, long? requested)
    {
        return user.Role switch
        {
            UserRole.Superadmin => requested,
            UserRole.OrgAdmin when requested is null || requested == user.OrganizationId => user.OrganizationId,
            UserRole.OrgAdmin => Error.Forbidden("You can only manage your own organization."),
            _ => Error.Forbidden(),
        };
    }

    /// <summary>
    /// The one organization an admin's organization page is about: the one asked for (superadmin) or their own;
    /// a caller with neither is told so. Plain users get <paramref name="forbidden"/>.
    /// </summary>
    public static Result<long> RequireOrganization(this ICurrentUser user, long? requested, string forbidden)
    {
        if (!user.IsAdmin())
        {
            return Error.Forbidden(forbidden);
        }

        var scope = user.ResolveOrganization(requested);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        return scope.Value is { } organizationId
            ? organizationId
            : Error.Validation("organization", user.IsSuperadmin()
                ? "You do not belong to an organization: pass ?organization=<id>."
                : "You do not belong to an organization.");
    }
}

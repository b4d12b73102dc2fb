using Fayvad.Directory.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;

namespace Fayvad.Identity.Contracts;

/// <summary>
/// Who may call an endpoint at all, by role. Decided by the authorization middleware from the token's role claim,
/// before the body is read or validated, so a caller learns nothing about a route they may not use (403 before any
/// 400; docs/adr/0032). What depends on the data (which organization, whose account) stays in the handlers.
/// </summary>
public static class EndpointAccess
{
    /// <summary>Organization administrators and superadmins.</summary>
    public const string Admins = nameof(UserRole.OrgAdmin) + "," + nameof(UserRole.Superadmin);

    public const string Superadmins = nameof(UserRole.Superadmin);

    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRoles(Admins);

    public static TBuilder RequireSuperadmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRoles(Superadmins);

    /// <param name="roles">Comma-separated <see cref="UserRole"/> names, any of which may call.</param>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, string roles) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(new AuthorizeAttribute { Roles = roles });
}

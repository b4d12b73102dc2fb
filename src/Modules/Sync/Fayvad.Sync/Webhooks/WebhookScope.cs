using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;

namespace Fayvad.Sync.Webhooks;

/// <summary>Who may manage which organization's webhooks: an org admin its own, a superadmin any.</summary>
internal static class WebhookScope
{
    /// <summary>The organization to act on; null means "all" (superadmin listing without a filter).</summary>
    public static Result<long?> Resolve(ICurrentUser caller, long? requested) => caller.Role switch
    {
        UserRole.Superadmin => requested,
        UserRole.OrgAdmin when requested is null || requested == caller.OrganizationId => caller.OrganizationId,
        UserRole.OrgAdmin => Error.Forbidden("You can only manage your own organization's webhooks."),
        _ => Error.Forbidden("Only organization admins can manage webhooks."),
    };
}

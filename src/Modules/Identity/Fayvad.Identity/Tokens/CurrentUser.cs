using System.Globalization;
using System.Security.Claims;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Identity.Tokens;

/// <summary>The caller as the token handler authenticated it; reading it on an anonymous request is a bug.</summary>
internal sealed class CurrentUser(IHttpContextAccessor accessor) : ICurrentUser
{
    private ClaimsPrincipal Principal =>
        accessor.HttpContext?.User is { Identity.IsAuthenticated: true } user
            ? user
            : throw new InvalidOperationException("No authenticated user on this request.");

    public long UserId => long.Parse(Principal.FindFirstValue(ClaimTypes.NameIdentifier)!, CultureInfo.InvariantCulture);
    public string Username => Principal.FindFirstValue(ClaimTypes.Name)!;
    public UserRole Role => Enum.Parse<UserRole>(Principal.FindFirstValue(ClaimTypes.Role)!);

    public long? OrganizationId =>
        Principal.FindFirstValue(TokenAuthenticationHandler.OrganizationClaim) is { } value
            ? long.Parse(value, CultureInfo.InvariantCulture)
            : null;

    public string? MailboxAddress => Principal.FindFirstValue(TokenAuthenticationHandler.MailboxClaim);

    public long TokenId => long.Parse(Principal.FindFirstValue(TokenAuthenticationHandler.TokenIdClaim)!, CultureInfo.InvariantCulture);
}

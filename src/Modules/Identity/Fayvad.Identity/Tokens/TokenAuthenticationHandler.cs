using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Fayvad.Directory.Contracts;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Tokens;

/// <summary>
/// Accepts <c>Authorization: Bearer &lt;token&gt;</c> and the Django REST framework form <c>Token &lt;token&gt;</c>.
/// A token and its user are checked in PostgreSQL and the Directory, then trusted from the <see cref="TokenCache"/>
/// until anything that decides access changes, which empties it on every node (docs/adr/0014). The lookups run in a
/// scope of their own, disposed at once: an event stream's request lives for hours and would otherwise keep the two
/// DbContexts (and their connections' state) alive with it (docs/adr/0026).
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IServiceScopeFactory scopes,
    TokenCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Token";
    public const string TokenIdClaim = "token_id";
    public const string OrganizationClaim = "organization_id";
    public const string MailboxClaim = "mailbox";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request.Headers.Authorization.ToString());
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var hash = TokenService.Hash(token);
        long tokenId;
        DirectoryPrincipal principal;
        if (cache.Find(hash) is { } cached)
        {
            (tokenId, principal) = (cached.TokenId, cached.Principal);
        }
        else
        {
            var generation = cache.Generation;
            await using var scope = scopes.CreateAsyncScope();
            var record = await scope.ServiceProvider.GetRequiredService<TokenService>().FindLiveAsync(token, Context.RequestAborted);
            if (record is null)
            {
                return AuthenticateResult.Fail("Invalid or expired token.");
            }

            var found = await scope.ServiceProvider.GetRequiredService<IDirectoryAuthentication>().FindActiveAsync(record.UserId, Context.RequestAborted);
            if (found is null)
            {
                return AuthenticateResult.Fail("User inactive or deleted.");
            }

            (tokenId, principal) = (record.Id, found);
            cache.Store(hash, record.Id, record.ExpiresAt, found, generation);
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, principal.UserId.ToString(CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, principal.Username),
            new(ClaimTypes.Role, principal.Role.ToString()),
            new(TokenIdClaim, tokenId.ToString(CultureInfo.InvariantCulture)),
            // The session, in the standard claim: the rate limiter (Shared) counts per token without knowing this module.
            new(ClaimTypes.Sid, tokenId.ToString(CultureInfo.InvariantCulture)),
        };
        if (principal.OrganizationId is { } organizationId)
        {
            claims.Add(new Claim(OrganizationClaim, organizationId.ToString(CultureInfo.InvariantCulture)));
        }

        if (principal.MailboxAddress is { } mailbox)
        {
            claims.Add(new Claim(MailboxClaim, mailbox));
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"fayvad_api\"";
        var message = result.Failure?.Message ?? "Authentication credentials were not provided.";
        await Response.WriteAsJsonAsync(new ErrorBody(message));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Response.WriteAsJsonAsync(new ErrorBody("You do not have permission to perform this action."));
    }

    internal static string? ReadToken(string header)
    {
        foreach (var scheme in (string[])["Bearer ", "Token "])
        {
            if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                var token = header[scheme.Length..].Trim();
                return token.Length is > 0 and <= 512 ? token : null;
            }
        }

        return null;
    }
}

using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Identity.Tokens;

/// <summary>
/// The same two checks the token handler makes on every request, for a request that lasts hours. While nothing that
/// decides access changed (the token cache's generation, moved by NOTIFY on every node), a heartbeat costs no query and
/// no service scope; only then are a scope and its DbContexts made, and disposed right after.
/// </summary>
internal sealed class SessionCheck(IServiceScopeFactory scopes, TokenCache cache, TimeProvider clock) : ISessionCheck
{
    public async Task<bool> IsStillValidAsync(long tokenId, CancellationToken cancellationToken)
    {
        if (cache.IsKnownValid(tokenId))
        {
            return true;
        }

        var generation = cache.Generation;
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var token = await db.AccessTokens.AsNoTracking()
            .Where(t => t.Id == tokenId && t.RevokedAt == null && t.ExpiresAt > now)
            .Select(t => new { t.UserId, t.ExpiresAt })
            .SingleOrDefaultAsync(cancellationToken);
        if (token is null || await scope.ServiceProvider.GetRequiredService<IDirectoryAuthentication>().FindActiveAsync(token.UserId, cancellationToken) is null)
        {
            return false;
        }

        cache.RememberValid(tokenId, token.ExpiresAt, generation);
        return true;
    }
}

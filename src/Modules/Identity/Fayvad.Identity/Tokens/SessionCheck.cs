using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Identity.Data;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Identity.Tokens;

/// <summary>The same two checks the token handler makes on every request, for a request that lasts hours.</summary>
internal sealed class SessionCheck(IdentityDbContext db, IDirectoryAuthentication directory, TimeProvider clock) : ISessionCheck
{
    public async Task<bool> IsStillValidAsync(long tokenId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var userId = await db.AccessTokens.AsNoTracking()
            .Where(t => t.Id == tokenId && t.RevokedAt == null && t.ExpiresAt > now)
            .Select(t => (long?)t.UserId)
            .SingleOrDefaultAsync(cancellationToken);
        return userId is { } id && await directory.FindActiveAsync(id, cancellationToken) is not null;
    }
}

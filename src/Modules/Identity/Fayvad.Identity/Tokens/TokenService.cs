using System.Security.Cryptography;
using System.Text;
using Fayvad.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Tokens;

/// <summary>Issues, resolves and revokes opaque bearer tokens (256 random bits, stored as SHA-256).</summary>
internal sealed class TokenService(IdentityDbContext db, TimeProvider clock, IOptions<TokenOptions> options, TokenCache cache)
{
    public async Task<(string Token, AccessToken Record)> IssueAsync(long userId, string? clientAddress, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var record = new AccessToken
        {
            UserId = userId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + options.Value.Lifetime,
            ClientAddress = clientAddress,
        };
        db.AccessTokens.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return (token, record);
    }

    /// <summary>The live token record, or null when unknown, expired or revoked.</summary>
    public Task<AccessToken?> FindLiveAsync(string token, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        var now = clock.GetUtcNow();
        return db.AccessTokens.AsNoTracking()
            .SingleOrDefaultAsync(t => t.TokenHash == hash && t.RevokedAt == null && t.ExpiresAt > now, cancellationToken);
    }

    // This node forgets at once; the others when the table's NOTIFY reaches them.
    public async Task<int> RevokeAsync(long tokenId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var revoked = await db.AccessTokens.Where(t => t.Id == tokenId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        cache.Clear();
        return revoked;
    }

    public async Task<int> RevokeAllExceptAsync(long userId, long keepTokenId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var revoked = await db.AccessTokens.Where(t => t.UserId == userId && t.Id != keepTokenId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        cache.Clear();
        return revoked;
    }

    internal static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

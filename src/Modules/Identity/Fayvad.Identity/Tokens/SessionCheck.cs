using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Identity.Tokens;

/// <summary>
/// The same two checks the token handler makes on every request, for a request that lasts hours. While nothing that
/// decides access changed (the token cache's generation, moved by NOTIFY on every node), a heartbeat costs no query and
/// no service scope. The checks the cache cannot answer are gathered for a moment and asked together, two queries for
/// all of them (the heartbeat wheel beats a slot of streams at once, and a change anywhere makes every stream ask):
/// docs/adr/0026.
/// </summary>
internal sealed class SessionCheck(IServiceScopeFactory scopes, TokenCache cache, TimeProvider clock) : ISessionCheck
{
    private static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(20);
    private const int MaxBatch = 1000;

    private readonly Lock _gate = new();
    private Batch? _open;

    public async Task<bool> IsStillValidAsync(long tokenId, CancellationToken cancellationToken)
    {
        if (cache.IsKnownValid(tokenId))
        {
            return true;
        }

        Batch batch;
        var first = false;
        lock (_gate)
        {
            if (_open is null)
            {
                _open = new Batch();
                first = true;
            }

            batch = _open;
            batch.TokenIds.Add(tokenId);
            if (batch.TokenIds.Count >= MaxBatch)
            {
                _open = null;
            }
        }

        if (first)
        {
            _ = RunAsync(batch);
        }

        var valid = await batch.Done.Task.WaitAsync(cancellationToken);
        return valid.Contains(tokenId);
    }

    private async Task RunAsync(Batch batch)
    {
        try
        {
            await Task.Delay(Gather);
            lock (_gate)
            {
                if (ReferenceEquals(_open, batch))
                {
                    _open = null;
                }
            }

            // Nobody adds to the batch any more. Its queries serve every waiter, so no one waiter's cancellation stops them.
            batch.Done.TrySetResult(await CheckAsync(batch.TokenIds));
        }
        catch (Exception ex)
        {
            batch.Done.TrySetException(ex);
        }
    }

    private async Task<HashSet<long>> CheckAsync(HashSet<long> tokenIds)
    {
        var generation = cache.Generation;
        var now = clock.GetUtcNow();
        var ids = tokenIds.ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var tokens = await db.AccessTokens.AsNoTracking()
            .Where(t => ids.Contains(t.Id) && t.RevokedAt == null && t.ExpiresAt > now)
            .Select(t => new { t.Id, t.UserId, t.ExpiresAt })
            .ToListAsync(CancellationToken.None);
        var valid = new HashSet<long>();
        if (tokens.Count == 0)
        {
            return valid;
        }

        var active = await scope.ServiceProvider.GetRequiredService<IDirectoryAuthentication>()
            .FindActiveIdsAsync(tokens.Select(t => t.UserId).Distinct().ToList(), CancellationToken.None);
        foreach (var token in tokens.Where(t => active.Contains(t.UserId)))
        {
            valid.Add(token.Id);
            cache.RememberValid(token.Id, token.ExpiresAt, generation);
        }

        return valid;
    }

    private sealed class Batch
    {
        public HashSet<long> TokenIds { get; } = [];

        public TaskCompletionSource<HashSet<long>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

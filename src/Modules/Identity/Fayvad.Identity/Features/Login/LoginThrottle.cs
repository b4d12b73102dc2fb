using Fayvad.Identity.Data;
using Fayvad.Identity.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Features.Login;

/// <summary>
/// Counts failed logins per username and per client address over a sliding window, in PostgreSQL so that every
/// API process behind a load balancer shares the count.
/// </summary>
internal sealed class LoginThrottle(IdentityDbContext db, TimeProvider clock, IOptions<LoginThrottleOptions> options)
{
    /// <summary>How long the caller must wait, or null when it may try now.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string username, string clientAddress, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var now = clock.GetUtcNow();
        var since = now - limits.Window;
        var recent = db.LoginFailures.AsNoTracking().Where(f => f.OccurredAt > since);

        var byUser = await recent.Where(f => f.Username == username)
            .OrderByDescending(f => f.OccurredAt).Skip(limits.MaxFailuresPerUsername - 1)
            .Select(f => (DateTimeOffset?)f.OccurredAt).FirstOrDefaultAsync(cancellationToken);
        var byClient = await recent.Where(f => f.ClientAddress == clientAddress)
            .OrderByDescending(f => f.OccurredAt).Skip(limits.MaxFailuresPerClient - 1)
            .Select(f => (DateTimeOffset?)f.OccurredAt).FirstOrDefaultAsync(cancellationToken);

        // Blocked until the failure that reached the limit leaves the window.
        var until = new[] { byUser, byClient }.Where(t => t is not null).Select(t => t!.Value + limits.Window)
            .DefaultIfEmpty(now).Max();
        return until > now ? until - now : null;
    }

    public async Task RecordFailureAsync(string username, string clientAddress, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        db.LoginFailures.Add(new LoginFailure { Username = username, ClientAddress = clientAddress, OccurredAt = now });
        await db.SaveChangesAsync(cancellationToken);
        // Old rows are useless to the window; trimming here keeps the table small without a separate job.
        var expired = now - options.Value.Window;
        await db.LoginFailures.Where(f => f.OccurredAt < expired).ExecuteDeleteAsync(cancellationToken);
    }

    public Task ResetUsernameAsync(string username, CancellationToken cancellationToken) =>
        db.LoginFailures.Where(f => f.Username == username).ExecuteDeleteAsync(cancellationToken);
}

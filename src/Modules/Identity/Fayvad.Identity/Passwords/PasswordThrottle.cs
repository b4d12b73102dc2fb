using Fayvad.Identity.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Passwords;

/// <summary>
/// One throttle for every route that checks a password (login, email-auth, change-password): failed attempts per
/// account and per client address over a sliding window, counted together whatever the route, in PostgreSQL so that
/// every API process shares the count.
/// </summary>
/// <remarks>
/// An attempt is recorded as a failure before the password is checked, and the check-and-record runs under advisory
/// locks on the account and the address, so a burst of parallel guesses cannot all pass the check before the first
/// failure is written. A correct password removes that attempt and the earlier failures of the same account from the
/// same address only: another address's failures keep counting.
/// </remarks>
internal sealed class PasswordThrottle(IdentityDbContext db, TimeProvider clock, IOptions<LoginThrottleOptions> options)
{
    /// <summary>The client address the throttle counts (after forwarded headers).</summary>
    public static string ClientAddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Starts an attempt: either the wait before the caller may try again, or an attempt counted as failed until <see cref="SucceededAsync"/>.</summary>
    public async Task<PasswordAttempt> BeginAsync(string account, string clientAddress, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Always account first, then address: every attempt takes them in that order, so two attempts never deadlock.
        await db.Database.ExecuteSqlAsync(
            $"SELECT pg_advisory_xact_lock(hashtextextended('fayvad-password-account:' || {account}, 0)); SELECT pg_advisory_xact_lock(hashtextextended('fayvad-password-client:' || {clientAddress}, 0))",
            cancellationToken);

        var now = clock.GetUtcNow();
        var since = now - limits.Window;
        var recent = db.LoginFailures.AsNoTracking().Where(f => f.OccurredAt > since);
        var byAccount = await recent.Where(f => f.Username == account)
            .OrderByDescending(f => f.OccurredAt).Skip(limits.MaxFailuresPerUsername - 1)
            .Select(f => (DateTimeOffset?)f.OccurredAt).FirstOrDefaultAsync(cancellationToken);
        var byClient = await recent.Where(f => f.ClientAddress == clientAddress)
            .OrderByDescending(f => f.OccurredAt).Skip(limits.MaxFailuresPerClient - 1)
            .Select(f => (DateTimeOffset?)f.OccurredAt).FirstOrDefaultAsync(cancellationToken);

        // Blocked until the failure that reached the limit leaves the window; a refused attempt is not counted.
        var until = new[] { byAccount, byClient }.Where(t => t is not null).Select(t => t!.Value + limits.Window)
            .DefaultIfEmpty(now).Max();
        if (until > now)
        {
            return new PasswordAttempt(account, clientAddress, until - now);
        }

        var failure = new LoginFailure { Username = account, ClientAddress = clientAddress, OccurredAt = now };
        db.LoginFailures.Add(failure);
        await db.SaveChangesAsync(cancellationToken);
        // Old rows are useless to the window; trimming here keeps the table small without a separate job.
        await db.LoginFailures.Where(f => f.OccurredAt < since).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.Entry(failure).State = EntityState.Detached;
        return new PasswordAttempt(account, clientAddress, null);
    }

    /// <summary>The password was right: this attempt and this address's earlier failures for the account stop counting.</summary>
    public Task SucceededAsync(PasswordAttempt attempt, CancellationToken cancellationToken) =>
        db.LoginFailures.Where(f => f.Username == attempt.Account && f.ClientAddress == attempt.ClientAddress)
            .ExecuteDeleteAsync(cancellationToken);
}

/// <summary>An attempt begun by <see cref="PasswordThrottle.BeginAsync"/>; <see cref="RetryAfter"/> set when it was refused.</summary>
internal sealed record PasswordAttempt(string Account, string ClientAddress, TimeSpan? RetryAfter);

/// <summary><c>Identity:LoginThrottle</c> (the name it had when only login used it).</summary>
internal sealed class LoginThrottleOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
    public int MaxFailuresPerUsername { get; set; } = 5;
    public int MaxFailuresPerClient { get; set; } = 20;
}

using Fayvad.Shared.Options;
using FluentValidation;
using Fayvad.Identity.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Passwords;

/// <summary>
/// One throttle for every route that checks a password (login, email-auth, change-password): failed attempts per
/// account and per client address over a sliding window, counted together whatever the route, in PostgreSQL so that
/// every API process shares the count.
/// </summary>
/// <remarks>
/// An attempt holds an advisory lock on its account from the check until its outcome is written, so attempts on one
/// account run one at a time: a burst of parallel guesses gets exactly the limit, and parallel correct logins (a web
/// app's workers signing in one service account) never see each other as failures. The attempt is written as a failure
/// before the password is checked (a crash mid-check counts); a correct password removes it and the earlier failures
/// of the same account from the same address only: another address's failures keep counting. The address count is read
/// without a lock (a login from one web app's address must not wait for every other account's check), so a parallel
/// burst across many accounts may pass the address limit by its own width.
/// </remarks>
internal sealed class PasswordThrottle(IdentityDbContext db, TimeProvider clock, IOptions<LoginThrottleOptions> options)
{
    /// <summary>The client address the throttle counts (after forwarded headers).</summary>
    public static string ClientAddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>
    /// Starts an attempt: either the wait before the caller may try again, or an attempt counted as failed until
    /// <see cref="SucceededAsync"/>; disposing it writes the outcome and lets the account's next attempt in.
    /// </summary>
    public async Task<PasswordAttempt> BeginAsync(string account, string clientAddress, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        // Old rows are useless to the window; trimming here keeps the table small without a separate job. Outside the
        // attempt's transaction, which lasts through the password check: its row locks would hold up other accounts.
        var since = clock.GetUtcNow() - limits.Window;
        await db.LoginFailures.Where(f => f.OccurredAt < since).ExecuteDeleteAsync(cancellationToken);
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended('fayvad-password-account:' || {account}, 0))", cancellationToken);

            var now = clock.GetUtcNow();
            since = now - limits.Window;
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
                await transaction.DisposeAsync();
                return new PasswordAttempt(account, clientAddress, until - now, null);
            }

            var failure = new LoginFailure { Username = account, ClientAddress = clientAddress, OccurredAt = now };
            db.LoginFailures.Add(failure);
            await db.SaveChangesAsync(cancellationToken);
            db.Entry(failure).State = EntityState.Detached;
            return new PasswordAttempt(account, clientAddress, null, transaction);
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <summary>The password was right: this attempt and this address's earlier failures for the account stop counting.</summary>
    public async Task SucceededAsync(PasswordAttempt attempt, CancellationToken cancellationToken)
    {
        await db.LoginFailures.Where(f => f.Username == attempt.Account && f.ClientAddress == attempt.ClientAddress)
            .ExecuteDeleteAsync(cancellationToken);
        await attempt.EndAsync(cancellationToken);
    }
}

/// <summary>
/// An attempt begun by <see cref="PasswordThrottle.BeginAsync"/>; <see cref="RetryAfter"/> set when it was refused.
/// Until it ends it holds its account's lock; disposed without <see cref="PasswordThrottle.SucceededAsync"/>, it ends
/// as a failure.
/// </summary>
internal sealed class PasswordAttempt(string account, string clientAddress, TimeSpan? retryAfter, IDbContextTransaction? transaction)
    : IAsyncDisposable
{
    private IDbContextTransaction? _transaction = transaction;

    public string Account { get; } = account;

    public string ClientAddress { get; } = clientAddress;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Writes what the attempt left (its failure, or the success's deletions) and releases the account.</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _transaction, null) is { } open)
        {
            await using (open)
            {
                await open.CommitAsync(cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync() => await EndAsync(CancellationToken.None);
}

/// <summary><c>Identity:LoginThrottle</c> (the name it had when only login used it).</summary>
internal sealed class LoginThrottleOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
    public int MaxFailuresPerUsername { get; set; } = 5;
    public int MaxFailuresPerClient { get; set; } = 20;
}

internal sealed class LoginThrottleOptionsValidator : OptionsValidator<LoginThrottleOptions>
{
    public LoginThrottleOptionsValidator()
    {
        Setting(o => o.Window).GreaterThan(TimeSpan.Zero);
        Setting(o => o.MaxFailuresPerUsername).GreaterThan(0);
        Setting(o => o.MaxFailuresPerClient).GreaterThan(0);
    }
}

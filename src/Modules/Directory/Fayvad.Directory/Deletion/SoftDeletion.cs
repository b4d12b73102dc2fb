using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Mail.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Deletion;

/// <summary>When a deletion happened and until when it can be undone; every row of one deletion carries the same pair.</summary>
internal readonly record struct DeletionStamp(DateTimeOffset DeletedAt, DateTimeOffset PurgeAfter)
{
    public static DeletionStamp Now(TimeProvider clock, DeletionOptions options)
    {
        // PostgreSQL keeps microseconds: truncated, the stamp read back equals the one written (restore matches on it).
        var now = clock.GetUtcNow();
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        return new DeletionStamp(now, now + options.Retention);
    }
}

/// <summary>What a DELETE answers: the client needs only a 2xx; an admin learns until when it can be undone.</summary>
internal sealed record DeletionReceipt(
    bool Success,
    string Kind,
    long Id,
    string Name,
    int MailboxesDeleted,
    DateTimeOffset DeletedAt,
    DateTimeOffset RestorableUntil,
    string Detail);

/// <summary>
/// Marks rows deleted (and, for restore, not deleted) in sets that belong together: a mailbox and its user, a domain
/// with its mailboxes, an organization with its domains, mailboxes and users. Only rows not already deleted are
/// marked, so an earlier deletion keeps its own stamp and is not undone by restoring a later one.
/// Callers run these in one transaction.
/// </summary>
internal static class SoftDeletion
{
    public static Task<int> MarkDeletedAsync<T>(this IQueryable<T> rows, DeletionStamp stamp, CancellationToken cancellationToken)
        where T : class, ISoftDeletable =>
        rows.ExecuteUpdateAsync(s => s
            .SetProperty(r => r.DeletedAt, stamp.DeletedAt)
            .SetProperty(r => r.PurgeAfter, stamp.PurgeAfter), cancellationToken);

    /// <summary>Clears the deletion on the rows of <paramref name="rows"/> (already unfiltered) that carry this stamp.</summary>
    public static Task<int> RestoreAsync<T>(this IQueryable<T> rows, DateTimeOffset deletedAt, CancellationToken cancellationToken)
        where T : class, ISoftDeletable =>
        rows.Where(r => r.DeletedAt == deletedAt).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.DeletedAt, (DateTimeOffset?)null)
            .SetProperty(r => r.PurgeAfter, (DateTimeOffset?)null), cancellationToken);

    /// <summary>Deletes the mailboxes and their users; returns their addresses.</summary>
    public static async Task<IReadOnlyList<string>> DeleteMailboxesAsync(
        this DirectoryDbContext db, IQueryable<EmailAccount> accounts, DeletionStamp stamp, CancellationToken cancellationToken)
    {
        var doomed = await accounts.Select(a => new { a.Id, a.UserId, a.Address }).ToListAsync(cancellationToken);
        var userIds = doomed.Select(a => a.UserId).ToList();
        var accountIds = doomed.Select(a => a.Id).ToList();
        await db.Users.Where(u => userIds.Contains(u.Id)).MarkDeletedAsync(stamp, cancellationToken);
        await db.EmailAccounts.Where(a => accountIds.Contains(a.Id)).MarkDeletedAsync(stamp, cancellationToken);
        return doomed.Select(a => a.Address).ToList();
    }

    /// <summary>Ends the open IMAP sessions of deleted mailboxes; logins are already refused, so a failure only delays that.</summary>
    public static async Task EndSessionsAsync(this IMailboxStore store, IReadOnlyList<string> addresses)
    {
        // Not the request's token: the deletion is committed, and a client that hung up should not leave sessions open.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // doveadm's kick reads * and ? as a mask: an older address holding one would end other mailboxes' sessions.
        await store.EndSessionsAsync(addresses.Where(a => !Addresses.IsDoveadmMask(a)).ToList(), timeout.Token);
    }

    /// <summary>The deleted row with this id when it is still restorable (the database's clock decides).</summary>
    public static IQueryable<T> Restorable<T>(this IQueryable<T> rows)
        where T : class, ISoftDeletable =>
        rows.IgnoreQueryFilters().Where(r => r.DeletedAt != null && r.PurgeAfter > DateTimeOffset.UtcNow);

    public static string Plural(int count, string one, string many) => count == 1 ? $"1 {one}" : $"{count} {many}";
}

using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Deletion;

/// <summary>
/// After their retention, removes deleted mailboxes' mail through Dovecot, then the rows: mailboxes and users, then
/// domains and organizations left empty. One pass at a time across every node (a transaction-scoped PostgreSQL advisory
/// lock); the due mailboxes are locked FOR UPDATE, so a restore racing with the purge waits and then finds nothing.
/// A mailbox whose mail the mail server could not remove keeps its rows and is tried again next pass.
/// </summary>
internal sealed partial class DeletionPurger(IServiceScopeFactory scopes, IOptions<DeletionOptions> options, ILogger<DeletionPurger> logger)
    : BackgroundService
{
    /// <summary>The same number on every node: "FayvadPurge" would not fit a bigint, any constant does.</summary>
    private const long PurgeLockKey = 0x46_61_79_76_50_72_67_65;

    private readonly DeletionOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Purge)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var purged = 0;
            try
            {
                purged = await PurgeDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // An unhandled exception in a BackgroundService stops the host: log, wait, try again.
                LogPassFailed(logger, ex);
            }

            if (purged < _options.PurgeBatch)
            {
                await Task.Delay(_options.PurgeInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One pass; the number of mailboxes purged (0 when another node holds the lock).</summary>
    internal async Task<int> PurgeDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DirectoryDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<IMailboxStore>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({PurgeLockKey}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (!locked)
        {
            LogSkipped(logger);
            return 0;
        }

        var due = await db.Database.SqlQuery<DueMailbox>($"""
            SELECT id, user_id, address FROM directory.email_accounts
            WHERE deleted_at IS NOT NULL AND purge_after <= now()
            ORDER BY purge_after, id LIMIT {_options.PurgeBatch} FOR UPDATE
            """).ToListAsync(cancellationToken);

        var purged = 0;
        foreach (var mailbox in due)
        {
            if (Addresses.IsDoveadmMask(mailbox.Address))
            {
                // doveadm would purge every mailbox the mask matches: kept, for an operator to remove by hand.
                LogMailboxKept(logger, mailbox.Address, "its address holds * or ?, which doveadm reads as a mask of other users");
                continue;
            }

            try
            {
                await store.RemoveMailboxAsync(mailbox.Address, cancellationToken);
            }
            catch (DependencyUnavailableException ex)
            {
                LogMailboxKept(logger, mailbox.Address, ex.Message);
                continue;
            }

            await db.MailboxUsage.Where(m => m.Email == mailbox.Address).ExecuteDeleteAsync(cancellationToken);
            await db.EmailAccounts.IgnoreQueryFilters().Where(a => a.Id == mailbox.Id).ExecuteDeleteAsync(cancellationToken);
            purged++;
        }

        // Users (their mailbox gone or never had one), then domains and organizations left without anything in them.
        var users = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM directory.users u WHERE u.deleted_at IS NOT NULL AND u.purge_after <= now()
                AND NOT EXISTS (SELECT 1 FROM directory.email_accounts a WHERE a.user_id = u.id)
            """, cancellationToken);
        // Aliases hold no mail: their rows go once their retention ends (a purged domain takes its own with it).
        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM directory.aliases al WHERE al.deleted_at IS NOT NULL AND al.purge_after <= now()
            """, cancellationToken);
        var domains = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM directory.domains d WHERE d.deleted_at IS NOT NULL AND d.purge_after <= now()
                AND NOT EXISTS (SELECT 1 FROM directory.email_accounts a WHERE a.domain_id = d.id)
            """, cancellationToken);
        var organizations = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM directory.organizations o WHERE o.deleted_at IS NOT NULL AND o.purge_after <= now()
                AND NOT EXISTS (SELECT 1 FROM directory.domains d WHERE d.organization_id = o.id)
                AND NOT EXISTS (SELECT 1 FROM directory.users u WHERE u.organization_id = o.id)
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (purged + users + domains + organizations > 0)
        {
            LogPurged(logger, purged, users, domains, organizations);
        }

        return purged;
    }

    private sealed record DueMailbox(long Id, long UserId, string Address);

    [LoggerMessage(Level = LogLevel.Error, Message = "Purge of deleted directory entries failed; trying again next pass")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Purge pass skipped: another node holds the purge lock")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted mailbox {Address} is past its retention but its mail could not be removed; kept for the next pass: {Reason}")]
    private static partial void LogMailboxKept(ILogger logger, string address, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Mailboxes} mailboxes (mail removed through Dovecot), {Users} users, {Domains} domains, {Organizations} organizations past their retention")]
    private static partial void LogPurged(ILogger logger, int mailboxes, int users, int domains, int organizations);
}

using System.Globalization;
using Npgsql;

namespace Fayvad.Directory.Features.SendingLimits;

/// <summary>What the policy answers Postfix for one submitted message.</summary>
internal sealed record SendingVerdict(bool Allowed, string? Refusal = null, TimeSpan? RetryAfter = null);

/// <summary>
/// The hourly sending limits (docs/adr/0036): a mailbox's own <c>message_limit</c> and its domain's, both counted in
/// recipients over the last hour. A message is counted when it is accepted; one that would take either count past its
/// limit is refused whole, and the refusal says when it can go. Counts live in PostgreSQL (one row per mailbox and
/// minute), so every policy process and node shares them; a per-domain advisory lock makes check-and-count atomic.
/// </summary>
internal sealed class SendingLimitPolicy(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>The start of every refusal's text: the API recognises a limit by it (Mail's submitter).</summary>
    public const string RefusalStart = Contracts.SendingLimitReply.Start;

    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public async Task<SendingVerdict> CheckAndCountAsync(string login, int recipients, CancellationToken cancellationToken)
    {
        recipients = Math.Max(recipients, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        long domainId;
        string address;
        int own, domainLimit;
        await using (var find = new NpgsqlCommand("""
            SELECT a.address, a.domain_id, a.message_limit, d.message_limit
            FROM directory.email_accounts a JOIN directory.domains d ON d.id = a.domain_id
            WHERE a.address = lower($1) AND a.deleted_at IS NULL
            """, connection, transaction))
        {
            find.Parameters.AddWithValue(login);
            await using var row = await find.ExecuteReaderAsync(cancellationToken);
            if (!await row.ReadAsync(cancellationToken))
            {
                // Not a mailbox of ours (Dovecot would not have authenticated it): nothing to count.
                return new SendingVerdict(true);
            }

            (address, domainId, own, domainLimit) = (row.GetString(0), row.GetInt64(1), row.GetInt32(2), row.GetInt32(3));
        }

        await using (var @lock = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7410, $1::int)", connection, transaction))
        {
            @lock.Parameters.AddWithValue((int)(domainId % int.MaxValue));
            await @lock.ExecuteNonQueryAsync(cancellationToken);
        }

        var now = clock.GetUtcNow();
        var minutes = new List<(DateTimeOffset Minute, int Mine, int All)>();
        await using (var counts = new NpgsqlCommand("""
            SELECT minute, coalesce(sum(recipients) FILTER (WHERE address = $2), 0)::int, sum(recipients)::int
            FROM directory.sent_counts WHERE domain_id = $1 AND minute > $3
            GROUP BY minute ORDER BY minute
            """, connection, transaction))
        {
            counts.Parameters.AddWithValue(domainId);
            counts.Parameters.AddWithValue(address);
            counts.Parameters.AddWithValue(now - Window);
            await using var row = await counts.ExecuteReaderAsync(cancellationToken);
            while (await row.ReadAsync(cancellationToken))
            {
                minutes.Add((row.GetFieldValue<DateTimeOffset>(0), row.GetInt32(1), row.GetInt32(2)));
            }
        }

        if (Refusal(address, own, minutes.Select(m => (m.Minute, m.Mine)).ToList(), recipients, now, "this mailbox") is { } mine)
        {
            return mine;
        }

        if (Refusal(address[(address.IndexOf('@') + 1)..], domainLimit, minutes.Select(m => (m.Minute, m.All)).ToList(), recipients, now, "its domain") is { } domain)
        {
            return domain;
        }

        await using (var count = new NpgsqlCommand("""
            INSERT INTO directory.sent_counts (address, domain_id, minute, recipients) VALUES ($1, $2, date_trunc('minute', $3), $4)
            ON CONFLICT (address, minute) DO UPDATE SET recipients = sent_counts.recipients + excluded.recipients
            """, connection, transaction))
        {
            count.Parameters.AddWithValue(address);
            count.Parameters.AddWithValue(domainId);
            count.Parameters.AddWithValue(now);
            count.Parameters.AddWithValue(recipients);
            await count.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new SendingVerdict(true);
    }

    /// <summary>Counts older than the window are never read again.</summary>
    public async Task<int> ForgetOldAsync(CancellationToken cancellationToken)
    {
        await using var forget = dataSource.CreateCommand("DELETE FROM directory.sent_counts WHERE minute < $1");
        forget.Parameters.AddWithValue(clock.GetUtcNow() - Window - TimeSpan.FromMinutes(5));
        return await forget.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Null when <paramref name="recipients"/> more fit under <paramref name="limit"/> (0 = none); otherwise the refusal,
    /// with the time at which enough of the hour's count will have aged out for this message to fit.
    /// </summary>
    private static SendingVerdict? Refusal(string who, int limit, IReadOnlyList<(DateTimeOffset Minute, int Count)> minutes, int recipients,
        DateTimeOffset now, string whose)
    {
        var used = minutes.Sum(m => m.Count);
        if (limit <= 0 || used + recipients <= limit)
        {
            return null;
        }

        if (recipients > limit)
        {
            return new SendingVerdict(false,
                $"{RefusalStart}: the message has {recipients} recipients and {whose} ({who}) may send to at most {limit} an hour. Send it to fewer recipients at a time.");
        }

        var freeAt = now + Window;
        foreach (var (minute, count) in minutes)
        {
            used -= count;
            if (used + recipients <= limit)
            {
                // A minute's count leaves the window one hour after the minute ends.
                freeAt = minute + Window + TimeSpan.FromMinutes(1);
                break;
            }
        }

        var wait = freeAt - now < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : freeAt - now;
        var minutesToWait = (int)Math.Ceiling(wait.TotalMinutes);
        return new SendingVerdict(false,
            $"{RefusalStart}: {whose} ({who}) may send to {limit} recipients an hour. Try again in {minutesToWait} minute{(minutesToWait == 1 ? "" : "s")} (retry after {((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} s).",
            wait);
    }
}

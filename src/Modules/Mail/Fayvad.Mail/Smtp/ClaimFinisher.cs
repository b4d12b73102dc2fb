using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fayvad.Mail.Smtp;

/// <summary>
/// Finishes in the background what a send could not write because PostgreSQL failed under it: frees the claim of a send
/// that failed (else every retry with its key gets 409 until the lease ends), or marks sent a message Postfix accepted
/// (else a retry after the lease would send it again). Retried every half second until PostgreSQL answers, and never past
/// the claim's lease: after it, the claim may have been taken over (docs/adr/0016, 0017).
/// </summary>
internal sealed partial class ClaimFinisher(NpgsqlDataSource db, TimeProvider clock, ILogger<ClaimFinisher> logger) : BackgroundService
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();

    public void Release(long id, DateTimeOffset claimedUntil) => _pending.Writer.TryWrite(new Pending(id, claimedUntil, null, null));

    public void Complete(long id, DateTimeOffset claimedUntil, string messageId, DateTimeOffset sentAt) =>
        _pending.Writer.TryWrite(new Pending(id, claimedUntil, messageId, sentAt));

    /// <summary>True when the cause is PostgreSQL being unreachable (not a bad query), also when EF Core wraps it.</summary>
    public static bool IsDatabaseOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.IsTransient || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal);
                case NpgsqlException or System.Net.Sockets.SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var waiting = new List<Pending>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (waiting.Count == 0)
                {
                    waiting.Add(await _pending.Reader.ReadAsync(stoppingToken));
                }

                while (_pending.Reader.TryRead(out var more))
                {
                    waiting.Add(more);
                }

                foreach (var pending in waiting.ToList())
                {
                    if (clock.GetUtcNow() >= pending.ClaimedUntil)
                    {
                        LogGaveUp(logger, pending.Id, pending.MessageId is null ? "release" : "completion");
                        waiting.Remove(pending);
                    }
                    else if (await TryFinishAsync(pending, stoppingToken))
                    {
                        waiting.Remove(pending);
                    }
                }

                if (waiting.Count > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TryFinishAsync(Pending pending, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = pending.MessageId is null
                // Only while the claim is still this attempt's: a takeover (after the lease) moved claimed_until on.
                ? db.CreateCommand("DELETE FROM mail.sent_records WHERE id = $1 AND NOT completed AND claimed_until <= $2")
                : db.CreateCommand("UPDATE mail.sent_records SET completed = true, message_id = $3, sent_at = $4 WHERE id = $1 AND claimed_until <= $2");
            command.Parameters.Add(new NpgsqlParameter { Value = pending.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = pending.ClaimedUntil.AddMilliseconds(1) });
            if (pending.MessageId is not null)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = pending.MessageId });
                command.Parameters.Add(new NpgsqlParameter { Value = pending.SentAt!.Value });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (IsDatabaseOutage(ex))
        {
            return false;
        }
    }

    private sealed record Pending(long Id, DateTimeOffset ClaimedUntil, string? MessageId, DateTimeOffset? SentAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Send claim {Id}: the {What} could not be written before its lease ended")]
    private static partial void LogGaveUp(ILogger logger, long id, string what);
}

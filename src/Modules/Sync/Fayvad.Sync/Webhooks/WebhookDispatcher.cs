using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Fayvad.Sync.Data;
using Fayvad.Sync.Log;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fayvad.Sync.Webhooks;

/// <summary>
/// Sends queued webhook deliveries: claimed with FOR UPDATE SKIP LOCKED so nodes share the queue without sending one
/// twice at once, signed (HMAC-SHA256 over "timestamp.body"), retried with exponential backoff until a 2xx or
/// <see cref="WebhookOptions.MaxAttempts"/>. The queue is in PostgreSQL: a restart loses nothing; a crash mid-send
/// means one more delivery of the same event id (at least once).
/// </summary>
internal sealed partial class WebhookDispatcher(
    SyncDataSource data, EventSignals signals, IHttpClientFactory clients, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger,
    SyncMetrics metrics)
    : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const string SignatureHeader = "X-Fayvad-Signature";
    public const string TimestampHeader = "X-Fayvad-Timestamp";
    public const string EventIdHeader = "X-Fayvad-Event-Id";
    public const string EventTypeHeader = "X-Fayvad-Event-Type";
    private const int BatchSize = 20;

    private readonly WebhookOptions _options = options.Value;

    /// <summary>"v1=" and the hex HMAC-SHA256, keyed by the secret, of "{timestamp}.{body}".</summary>
    public static string Sign(string secret, long timestamp, string body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Deliver)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await ClaimAsync(stoppingToken);
                if (claimed.Count > 0)
                {
                    await Task.WhenAll(claimed.Select(d => DeliverAsync(d, stoppingToken)));
                    continue;
                }

                var wait = await UntilNextDueAsync(stoppingToken) is { } due && due < _options.PollInterval ? due : _options.PollInterval;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
                await signals.WebhookSignal.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Waited long enough; look again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // An unhandled exception in a BackgroundService stops the whole host: log and carry on instead.
                LogQueueFailed(logger, ex);
                await Task.Delay(_options.PollInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        await using var cmd = data.Source.CreateCommand("""
            UPDATE sync.webhook_deliveries d
            SET locked_until = now() + $2, attempts = d.attempts + 1, last_attempt_at = now()
            FROM sync.webhooks w
            WHERE w.id = d.webhook_id AND d.id IN (
                SELECT id FROM sync.webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
                ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING d.id, d.event_id, d.event_type, d.payload, d.attempts, w.url, w.secret
            """);
        cmd.Parameters.AddWithValue(BatchSize);
        cmd.Parameters.AddWithValue(_options.RequestTimeout * 2);
        var claimed = new List<Claimed>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new Claimed(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6)));
        }

        return claimed;
    }

    private async Task<TimeSpan?> UntilNextDueAsync(CancellationToken ct)
    {
        await using var cmd = data.Source.CreateCommand("SELECT min(next_attempt_at) - now() FROM sync.webhook_deliveries WHERE status = 'pending'");
        return await cmd.ExecuteScalarAsync(ct) is TimeSpan due ? due : null;
    }

    private async Task DeliverAsync(Claimed delivery, CancellationToken ct)
    {
        int? status = null;
        string? error = null;
        try
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(EventIdHeader, delivery.EventId);
            request.Headers.Add(EventTypeHeader, delivery.EventType);
            request.Headers.Add(TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(SignatureHeader, Sign(delivery.Secret, timestamp, delivery.Payload));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Fayvad-Webhooks", "1"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.RequestTimeout);
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {status}";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            error = ex is OperationCanceledException ? "timed out" : ex.Message;
        }

        var delivered = error is null;
        var giveUp = !delivered && delivery.Attempts >= _options.MaxAttempts;
        await using var cmd = data.Source.CreateCommand("""
            UPDATE sync.webhook_deliveries
            SET status = $2, last_status_code = $3, last_error = $4, next_attempt_at = now() + $5, locked_until = NULL,
                delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
            WHERE id = $1
            """);
        cmd.Parameters.AddWithValue(delivery.Id);
        cmd.Parameters.AddWithValue(delivered ? DeliveryStatus.Delivered : giveUp ? DeliveryStatus.Failed : DeliveryStatus.Pending);
        cmd.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = status, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = error?[..Math.Min(error.Length, 500)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(delivered ? TimeSpan.Zero : Backoff(delivery.Attempts));
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
        if (delivered)
        {
            metrics.WebhooksDelivered.Add(1);
        }
        else
        {
            metrics.WebhooksFailed.Add(1, new KeyValuePair<string, object?>("final", giveUp));
            LogDeliveryFailed(logger, delivery.EventId, delivery.Url, delivery.Attempts, error!);
        }
    }

    /// <summary>Initial backoff doubled per attempt, capped, with up to 10 % jitter so failing receivers are not hit in lockstep.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(_options.MaxBackoff.TotalSeconds, _options.InitialBackoff.TotalSeconds * Math.Pow(2, Math.Max(0, attempts - 1)));
        return TimeSpan.FromSeconds(seconds * (1 + (Random.Shared.NextDouble() * 0.1)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook queue unavailable")]
    private static partial void LogQueueFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {EventId} to {Url} failed (attempt {Attempts}): {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string eventId, string url, int attempts, string error);

    private sealed record Claimed(long Id, string EventId, string EventType, string Payload, int Attempts, string Url, string Secret);
}

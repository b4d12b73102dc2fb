using System.Collections.Concurrent;
using System.Threading.Channels;
using Fayvad.Sync.Data;
using Fayvad.Sync.Streams;
using Fayvad.Sync.Watch;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fayvad.Sync.Log;

/// <summary>
/// This node's one LISTEN connection: PostgreSQL NOTIFY tells every node when a mailbox's log grew (whichever node
/// wrote it) or webhook deliveries were queued. A wake-up only says "re-read"; the log itself is the message, so a
/// lost or merged notification costs latency, never an event. After a reconnect everyone is woken.
/// </summary>
internal sealed partial class EventSignals(SyncDataSource data, ILogger<EventSignals> logger) : BackgroundService
{
    // Per mailbox, the streams listening; replaced whole under the lock, read without it.
    private readonly ConcurrentDictionary<string, StreamWake[]> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly Channel<bool> _webhooks = NewSignal();

    /// <summary>Completes once LISTEN is in place, so a test or a stream knows no notification can slip by.</summary>
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Listening => _listening.Task;

    public ChannelReader<bool> WebhookSignal => _webhooks.Reader;

    /// <summary>Wakes <paramref name="wake"/> (its data flag) whenever the mailbox's log grows; dispose the handle to stop.</summary>
    public Subscription Subscribe(string mailbox, StreamWake wake)
    {
        lock (_gate)
        {
            _listeners[mailbox] = _listeners.TryGetValue(mailbox, out var others) ? [.. others, wake] : [wake];
        }

        return new Subscription(this, mailbox, wake);
    }

    private void Unsubscribe(string mailbox, StreamWake wake)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(mailbox, out var all))
            {
                var rest = Array.FindAll(all, w => !ReferenceEquals(w, wake));
                if (rest.Length == 0)
                {
                    _listeners.TryRemove(mailbox, out _);
                }
                else
                {
                    _listeners[mailbox] = rest;
                }
            }
        }
    }

    public int ListenerCount => _listeners.Values.Sum(s => s.Length);

    /// <summary>A push hint another node passed on (payload: the mailbox); see <see cref="HintWatchRegistry"/>.</summary>
    public event Action<string>? HintForwarded;

    /// <summary>LISTEN is (back) in place: whatever was notified meanwhile is unknown.</summary>
    public event Action? Reconnected;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await data.Source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {EventLog.EventsChannel}; LISTEN {EventLog.WebhooksChannel}; LISTEN {Leases.HintsChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _listening.TrySetResult();
                WakeAll();
                Reconnected?.Invoke();
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        if (channel == EventLog.WebhooksChannel)
        {
            _webhooks.Writer.TryWrite(true);
        }
        else if (channel == Leases.HintsChannel)
        {
            HintForwarded?.Invoke(payload);
        }
        else if (_listeners.TryGetValue(payload, out var wakes))
        {
            foreach (var wake in wakes)
            {
                wake.Data();
            }
        }
    }

    private void WakeAll()
    {
        _webhooks.Writer.TryWrite(true);
        foreach (var wake in _listeners.Values.SelectMany(s => s))
        {
            wake.Data();
        }
    }

    // Capacity one, newest dropped: a pending wake-up already means "re-read".
    private static Channel<bool> NewSignal() =>
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    [LoggerMessage(Level = LogLevel.Warning, Message = "LISTEN connection to PostgreSQL lost; retrying in {Seconds} s")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, double seconds);

    internal sealed class Subscription(EventSignals signals, string mailbox, StreamWake wake) : IDisposable
    {
        public void Dispose() => signals.Unsubscribe(mailbox, wake);
    }
}

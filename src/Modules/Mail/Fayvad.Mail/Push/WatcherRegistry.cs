using System.Collections.Concurrent;
using Fayvad.Mail.Imap;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Push;

/// <summary>
/// The <c>notify</c> push mode. Which mailboxes this node watches: those with a listener here (an event stream, or webhooks of their organization),
/// one IMAP connection each, and only under the mailbox's lease in PostgreSQL, so that across all nodes a mailbox has
/// one watcher. A node that cannot get the lease still serves its listeners: the leaseholder's events reach it by
/// NOTIFY. When the last listener leaves, the watch lingers a little, then stops and frees the lease.
/// </summary>
internal sealed partial class WatcherRegistry(
    ImapConnector connector, EventLog log, IOptions<MailOptions> options, ILoggerFactory loggers, FetchFaults faults) : IMailboxWatches, IHostedService, IDisposable
{
    private readonly PushOptions _options = options.Value.Push;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly ILogger _logger = loggers.CreateLogger<WatcherRegistry>();
    private readonly CancellationTokenSource _stopping = new();

    public string NodeId { get; } = WantedMailbox.NodeIdOf(options.Value.Push);

    /// <summary>Mailboxes whose IMAP watch connection this node holds now.</summary>
    public int Watching => _entries.Values.Count(e => e.Leased);

    public bool IsWatching(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased;

    /// <summary>Whether this node watches the mailbox and its watcher has finished a sync pass: the stored states are current.</summary>
    public bool IsSynced(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased && e.Synced;

    /// <summary>
    /// Keeps the mailbox watched (here or on another node) for <paramref name="duration"/> from now, with no handle to
    /// dispose: for callers that poll (check-new) rather than listen. Each call extends the time.
    /// </summary>
    public void KeepWatched(string mailbox, long? organizationId, TimeSpan duration)
    {
        lock (_gate)
        {
            var entry = _entries.GetOrAdd(mailbox, m => new Entry(m, _gate));
            entry.HoldFor(organizationId, duration);
            entry.Loop ??= Task.Run(() => RunAsync(entry));
        }
    }

    /// <summary>Keeps the mailbox watched (here or on another node) until the handle is disposed.</summary>
    public IDisposable Acquire(string mailbox, long? organizationId)
    {
        lock (_gate)
        {
            var entry = _entries.GetOrAdd(mailbox, m => new Entry(m, _gate));
            var handle = entry.Reference(organizationId);
            entry.Loop ??= Task.Run(() => RunAsync(entry));
            return handle;
        }
    }

    private bool Unwanted(Entry entry)
    {
        lock (_gate)
        {
            return entry.Unwanted(Environment.TickCount64, _options.Linger);
        }
    }

    private async Task RunAsync(Entry entry)
    {
        var ct = _stopping.Token;
        var retry = TimeSpan.FromSeconds(Math.Min(2, _options.LeaseTtl.TotalSeconds / 3));
        var renew = _options.LeaseTtl / 3;
        try
        {
            await log.EnsureStreamAsync(entry.Mailbox, entry.OrganizationId, ct);
            while (!ct.IsCancellationRequested && !Unwanted(entry))
            {
                if (!await log.TryLeaseAsync(entry.Mailbox, NodeId, _options.LeaseTtl, ct))
                {
                    await Task.Delay(retry, ct);
                    continue;
                }

                using var watch = CancellationTokenSource.CreateLinkedTokenSource(ct);
                entry.Synced = false;
                var watcher = new MailboxWatcher(entry.Mailbox, connector, log, _options, loggers.CreateLogger<MailboxWatcher>(), synced => entry.Synced = synced, faults);
                var running = watcher.RunAsync(watch.Token);
                entry.Leased = true;
                try
                {
                    while (!Unwanted(entry))
                    {
                        await Task.WhenAny(running, Task.Delay(TimeSpan.FromMilliseconds(Math.Min(renew.TotalMilliseconds, 1000)), ct));
                        if (running.IsCompleted || Unwanted(entry))
                        {
                            break;
                        }

                        if (Environment.TickCount64 - entry.RenewedAt >= renew.TotalMilliseconds)
                        {
                            if (!await log.TryLeaseAsync(entry.Mailbox, NodeId, _options.LeaseTtl, ct))
                            {
                                LogLeaseLost(_logger, entry.Mailbox);
                                break;
                            }

                            entry.RenewedAt = Environment.TickCount64;
                        }
                    }
                }
                finally
                {
                    entry.Leased = false;
                    await watch.CancelAsync();
                    await running;
                    entry.Synced = false;
                    await log.ReleaseLeaseAsync(entry.Mailbox, NodeId, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Paused before the finally below starts the loop again, so a persistent fault cannot spin.
            LogRegistryFailed(_logger, ex, entry.Mailbox);
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
        }
        finally
        {
            lock (_gate)
            {
                // Wanted again while stopping: start over; otherwise forget the mailbox.
                if (entry.Wanted(Environment.TickCount64) && !ct.IsCancellationRequested)
                {
                    entry.Loop = Task.Run(() => RunAsync(entry));
                }
                else
                {
                    entry.Loop = null;
                    _entries.TryRemove(entry.Mailbox, out _);
                }
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        var loops = _entries.Values.Select(e => e.Loop).OfType<Task>();
        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the watch lease of {Mailbox} to another node")]
    private static partial void LogLeaseLost(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of {Mailbox} stopped by a database fault")]
    private static partial void LogRegistryFailed(ILogger logger, Exception exception, string mailbox);

    private sealed class Entry(string mailbox, Lock gate) : WantedMailbox(mailbox, gate)
    {
        public long RenewedAt { get; set; } = Environment.TickCount64;
        public Task? Loop { get; set; }
    }
}

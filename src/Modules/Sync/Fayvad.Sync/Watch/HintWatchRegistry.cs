using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Fayvad.Mail.Contracts;
using Fayvad.Sync.Log;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using EventLog = Fayvad.Sync.Log.EventLog;

namespace Fayvad.Sync.Watch;

/// <summary>
/// Push (docs/adr/0021, 0038). A mailbox with a listener here (an event stream, a webhook of its
/// organization, a polling check-new) is watched under the same lease as in docs/adr/0008, but with no connection of
/// its own: Dovecot's push hint (<see cref="HintListener"/>), a stream starting, or the sweep asks for a
/// <see cref="MailboxSync"/> pass, which asks the Mail module what changed (on a pooled IMAP connection). This class keeps
/// the table of wanted mailboxes and their leases: taken, renewed and released for all mailboxes in one statement per
/// round, so an idle stream costs no timer, no task and no connection of its own. Passes are run by
/// <see cref="PassScheduler"/>, the sweep is <see cref="Sweep"/>, and hints for other nodes go through <see cref="HintForwarder"/>.
/// </summary>
internal sealed partial class HintWatchRegistry : IMailboxWatches, IHostedService, IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly Leases _leases;
    private readonly PushOptions _options;
    private readonly PassScheduler _passes;
    private readonly Sweep _sweep;
    private readonly HintForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly SyncMetrics _metrics;
    private readonly ConcurrentDictionary<string, WatchEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _disposed;
    private readonly Channel<bool> _leaseWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<Task> _loops = [];
    private long _lastRenew = Environment.TickCount64;
    private long _hints;

    public HintWatchRegistry(
        IMailboxChanges changes, EventLog log, FolderStates states, Leases leases, EventSignals signals, IOptions<PushOptions> options,
        SyncMetrics metrics, ILogger<HintWatchRegistry> logger)
    {
        _metrics = metrics;
        _leases = leases;
        _options = options.Value;
        _logger = logger;
        NodeId = WantedMailbox.NodeIdOf(_options);
        _passes = new PassScheduler(new MailboxSync(log, states, changes, _options), _options, metrics, logger, _stopping.Token);
        _sweep = new Sweep(changes, states, _options, logger);
        _forwarder = new HintForwarder(leases, NodeId, logger);
        signals.HintForwarded += OnForwardedHint;
        // Hints forwarded while LISTEN was down are lost: every mailbox held here gets a pass.
        signals.Reconnected += PassAll;
    }

    public string NodeId { get; }

    public int Watching => _entries.Values.Count(e => e.Leased);

    /// <summary>Hints received from Dovecot by this node, and passes run: for tests and the bench.</summary>
    public long HintsReceived => Interlocked.Read(ref _hints);

    public long PassesRun => _passes.PassesRun;

    public bool IsWatching(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased;

    public bool IsSynced(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased && e.Synced;

    public void KeepWatched(string mailbox, long? organizationId, TimeSpan duration)
    {
        lock (_gate)
        {
            _entries.GetOrAdd(mailbox, m => new WatchEntry(m, _gate)).HoldFor(organizationId, duration);
        }

        _leaseWake.Writer.TryWrite(true);
    }

    public IDisposable Acquire(string mailbox, long? organizationId)
    {
        WatchEntry entry;
        IDisposable handle;
        lock (_gate)
        {
            entry = _entries.GetOrAdd(mailbox, m => new WatchEntry(m, _gate));
            handle = entry.Reference(organizationId);
        }

        if (entry.Leased)
        {
            // A stream starting is a moment to look: whatever a lost hint hid shows up now.
            _passes.Request(entry);
        }
        else
        {
            _leaseWake.Writer.TryWrite(true);
        }

        return handle;
    }

    /// <summary>Dovecot says the mailbox changed: a pass here if this node holds its lease, else to whoever does.</summary>
    public void Hint(string mailbox)
    {
        Interlocked.Increment(ref _hints);
        _metrics.PushHints.Add(1, new KeyValuePair<string, object?>("via", "udp"));
        if (_entries.TryGetValue(mailbox, out var entry) && entry.Leased)
        {
            _passes.Request(entry);
        }
        else if (_options.ForwardHints)
        {
            _forwarder.Forward(mailbox);
        }
    }

    private void OnForwardedHint(string mailbox)
    {
        _metrics.PushHints.Add(1, new KeyValuePair<string, object?>("via", "notify"));
        if (_entries.TryGetValue(mailbox, out var entry) && entry.Leased)
        {
            _passes.Request(entry);
        }
    }

    private void PassAll()
    {
        foreach (var entry in _entries.Values.Where(e => e.Leased))
        {
            _passes.Request(entry);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loops.Add(Loop(LeaseRoundAsync, wake: _leaseWake.Reader));
        _loops.Add(Loop(ct => _sweep.RoundAsync(_entries.Values, _passes.Request, ct), wake: null));
        _loops.Add(_forwarder.RunAsync(_stopping.Token));
        return Task.CompletedTask;
    }

    /// <summary>Runs a round every tick, or sooner when woken; a failing round is logged and retried on the next tick.</summary>
    private async Task Loop(Func<CancellationToken, Task> round, ChannelReader<bool>? wake)
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await round(ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogRoundFailed(_logger, ex);
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(Tick);
            try
            {
                if (wake is not null)
                {
                    await wake.ReadAsync(wait.Token);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, wait.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Frees what nobody wants, takes what is wanted and not held, renews what is held: one statement each.</summary>
    private async Task LeaseRoundAsync(CancellationToken ct)
    {
        var now = Environment.TickCount64;
        var unwanted = new List<WatchEntry>();
        lock (_gate)
        {
            foreach (var entry in _entries.Values)
            {
                if (entry.Unwanted(now, _options.Linger))
                {
                    _entries.TryRemove(entry.Mailbox, out _);
                    unwanted.Add(entry);
                }
            }
        }

        var release = unwanted.Where(e => e.Leased).ToList();
        foreach (var entry in unwanted)
        {
            entry.Leased = false;
            entry.Synced = false;
        }

        if (release.Count > 0)
        {
            await _leases.ReleaseLeasesAsync(release.Select(e => e.Mailbox).ToList(), NodeId, ct);
        }

        var wanted = _entries.Values.Where(e => !e.Leased && e.NextLeaseTry <= now).ToList();
        if (wanted.Count > 0)
        {
            var fresh = wanted.Where(e => !e.StreamReady).ToList();
            if (fresh.Count > 0)
            {
                await _leases.EnsureStreamsAsync(fresh.Select(e => e.Mailbox).ToList(), fresh.Select(e => e.OrganizationId).ToList(), ct);
                foreach (var entry in fresh)
                {
                    entry.StreamReady = true;
                }
            }

            var got = await _leases.LeaseManyAsync(wanted.Select(e => e.Mailbox).ToList(), NodeId, _options.LeaseTtl, ct);
            var retry = (long)Math.Min(2000, _options.LeaseTtl.TotalMilliseconds / 3);
            foreach (var entry in wanted)
            {
                if (got.Contains(entry.Mailbox))
                {
                    entry.Synced = false;
                    entry.Leased = true;
                    entry.NextSweep = _sweep.FirstSweepAt(now);
                    _passes.Request(entry);
                }
                else
                {
                    // Another node watches it; its events reach our listeners through PostgreSQL. Ask again later.
                    entry.NextLeaseTry = now + retry;
                }
            }
        }

        if (now - _lastRenew >= _options.LeaseTtl.TotalMilliseconds / 3)
        {
            var held = _entries.Values.Where(e => e.Leased).ToList();
            if (held.Count > 0)
            {
                var kept = await _leases.LeaseManyAsync(held.Select(e => e.Mailbox).ToList(), NodeId, _options.LeaseTtl, ct);
                foreach (var entry in held.Where(e => !kept.Contains(e.Mailbox)))
                {
                    LogLeaseLost(_logger, entry.Mailbox);
                    entry.Leased = false;
                    entry.Synced = false;
                }
            }

            _lastRenew = now;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A test host may stop again after the container disposed this (WebApplicationFactory with minimal hosting).
        if (_disposed)
        {
            return;
        }

        await _stopping.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var held = _entries.Values.Where(e => e.Leased).Select(e => e.Mailbox).ToList();
        if (held.Count > 0)
        {
            try
            {
                // Another node may take over at once instead of after the lease runs out.
                await _leases.ReleaseLeasesAsync(held, NodeId, cancellationToken);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException)
            {
                LogRoundFailed(_logger, ex);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping.Cancel();
        _stopping.Dispose();
        _passes.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the watch lease of {Mailbox} to another node")]
    private static partial void LogLeaseLost(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch lease round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}

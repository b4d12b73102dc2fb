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
/// <see cref="MailboxSync"/> pass, which asks the Mail module what changed (on a pooled IMAP connection). Requests for the same mailbox coalesce:
/// one pass runs, one more is pending. Leases are taken, renewed and released for all mailboxes in one statement per
/// round, so an idle stream costs no timer, no task and no connection of its own.
/// </summary>
internal sealed partial class HintWatchRegistry : IMailboxWatches, IHostedService, IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>Mailboxes per doveadm request in a sweep.</summary>
    private const int SweepBatch = 100;

    private readonly IMailboxChanges _changes;
    private readonly FolderStates _states;
    private readonly Leases _leases;
    private readonly PushOptions _options;
    private readonly MailboxSync _sync;
    private readonly ILogger _logger;
    private readonly SyncMetrics _metrics;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _disposed;
    private readonly SemaphoreSlim _passSlots;
    private readonly Channel<bool> _leaseWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<string> _forward = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<Task> _loops = [];
    private long _lastRenew = Environment.TickCount64;
    private long _hints;
    private long _passes;

    public HintWatchRegistry(
        IMailboxChanges changes, EventLog log, FolderStates states, Leases leases, EventSignals signals, IOptions<PushOptions> options,
        SyncMetrics metrics, ILogger<HintWatchRegistry> logger)
    {
        _metrics = metrics;
        _changes = changes;
        _states = states;
        _leases = leases;
        _options = options.Value;
        _sync = new MailboxSync(log, states, changes, _options);
        _logger = logger;
        _passSlots = new SemaphoreSlim(_options.MaxConcurrentPasses, _options.MaxConcurrentPasses);
        NodeId = WantedMailbox.NodeIdOf(_options);
        signals.HintForwarded += OnForwardedHint;
        // Hints forwarded while LISTEN was down are lost: every mailbox held here gets a pass.
        signals.Reconnected += PassAll;
    }

    public string NodeId { get; }

    public int Watching => _entries.Values.Count(e => e.Leased);

    /// <summary>Hints received from Dovecot by this node, and passes run: for tests and the bench.</summary>
    public long HintsReceived => Interlocked.Read(ref _hints);

    public long PassesRun => Interlocked.Read(ref _passes);

    public bool IsWatching(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased;

    public bool IsSynced(string mailbox) => _entries.TryGetValue(mailbox, out var e) && e.Leased && e.Synced;

    public void KeepWatched(string mailbox, long? organizationId, TimeSpan duration)
    {
        lock (_gate)
        {
            _entries.GetOrAdd(mailbox, m => new Entry(m, _gate)).HoldFor(organizationId, duration);
        }

        _leaseWake.Writer.TryWrite(true);
    }

    public IDisposable Acquire(string mailbox, long? organizationId)
    {
        Entry entry;
        IDisposable handle;
        lock (_gate)
        {
            entry = _entries.GetOrAdd(mailbox, m => new Entry(m, _gate));
            handle = entry.Reference(organizationId);
        }

        if (entry.Leased)
        {
            // A stream starting is a moment to look: whatever a lost hint hid shows up now.
            RequestPass(entry);
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
            RequestPass(entry);
        }
        else if (_options.ForwardHints)
        {
            _forward.Writer.TryWrite(mailbox);
        }
    }

    private void OnForwardedHint(string mailbox)
    {
        _metrics.PushHints.Add(1, new KeyValuePair<string, object?>("via", "notify"));
        if (_entries.TryGetValue(mailbox, out var entry) && entry.Leased)
        {
            RequestPass(entry);
        }
    }

    private void PassAll()
    {
        foreach (var entry in _entries.Values.Where(e => e.Leased))
        {
            RequestPass(entry);
        }
    }

    /// <summary>One pass running and one pending at most, per mailbox; hints arriving meanwhile merge into the pending one.</summary>
    private void RequestPass(Entry entry)
    {
        lock (entry)
        {
            if (entry.AskedAt == 0)
            {
                entry.AskedAt = Stopwatch.GetTimestamp();
            }

            if (entry.Running)
            {
                entry.Pending = true;
                return;
            }

            entry.Running = true;
            entry.Pending = false;
        }

        _ = Task.Run(() => PassLoopAsync(entry));
    }

    private async Task PassLoopAsync(Entry entry)
    {
        var ct = _stopping.Token;
        var backoff = TimeSpan.Zero;
        try
        {
            while (!ct.IsCancellationRequested && entry.Leased)
            {
                await _passSlots.WaitAsync(ct);
                long askedAt;
                lock (entry)
                {
                    // Asks arriving from here on are served by the next pass and timed from their own moment.
                    askedAt = entry.AskedAt;
                    entry.AskedAt = 0;
                }

                try
                {
                    var pass = await _sync.PassAsync(entry.Mailbox, ct);
                    Interlocked.Increment(ref _passes);
                    _metrics.PushPasses.Add(1, new KeyValuePair<string, object?>("result", "ok"));
                    if (askedAt != 0)
                    {
                        _metrics.PushLag.Record(Stopwatch.GetElapsedTime(askedAt).TotalSeconds);
                    }

                    entry.Synced = true;
                    backoff = TimeSpan.Zero;
                    if (pass.MoreToCome)
                    {
                        lock (entry)
                        {
                            entry.Pending = true;
                        }
                    }
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // IMAP or PostgreSQL down, a folder deleted mid-pass: try again, later each time.
                    _metrics.PushPasses.Add(1, new KeyValuePair<string, object?>("result", "failed"));
                    entry.Synced = false;
                    backoff = TimeSpan.FromSeconds(Math.Clamp(backoff.TotalSeconds * 2, 1, 30));
                    LogPassFailed(_logger, ex, entry.Mailbox, backoff.TotalSeconds);
                    lock (entry)
                    {
                        entry.Pending = true;
                        // The lag runs on from the first ask until a pass succeeds.
                        if (askedAt != 0 && (entry.AskedAt == 0 || askedAt < entry.AskedAt))
                        {
                            entry.AskedAt = askedAt;
                        }
                    }
                }
                finally
                {
                    _passSlots.Release();
                }

                if (backoff > TimeSpan.Zero)
                {
                    await Task.Delay(backoff, ct);
                }

                lock (entry)
                {
                    if (!entry.Pending)
                    {
                        entry.Running = false;
                        return;
                    }

                    entry.Pending = false;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        lock (entry)
        {
            entry.Running = false;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loops.Add(Loop(LeaseRoundAsync, wake: _leaseWake.Reader));
        _loops.Add(Loop(SweepRoundAsync, wake: null));
        _loops.Add(ForwardLoopAsync(_stopping.Token));
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
        var unwanted = new List<Entry>();
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
                    entry.NextSweep = now + Random.Shared.NextInt64((long)_options.SweepInterval.TotalMilliseconds);
                    RequestPass(entry);
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

    /// <summary>
    /// The repair for lost hints: every held mailbox is looked at once per <see cref="PushOptions.SweepInterval"/>,
    /// spread over it. With doveadm configured, one request tells the status of up to <see cref="SweepBatch"/> mailboxes
    /// and only those that differ from the stored states get a pass; without it, each gets a pass.
    /// </summary>
    private async Task SweepRoundAsync(CancellationToken ct)
    {
        var now = Environment.TickCount64;
        var due = _entries.Values.Where(e => e.Leased && e.NextSweep <= now).ToList();
        if (due.Count == 0)
        {
            return;
        }

        var interval = (long)_options.SweepInterval.TotalMilliseconds;
        foreach (var entry in due)
        {
            entry.NextSweep = now + interval;
        }

        foreach (var batch in due.Chunk(SweepBatch))
        {
            IEnumerable<Entry> stale = batch;
            if (_changes.CanReadManyMarks)
            {
                try
                {
                    stale = await StaleAsync(batch, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogSweepCheckFailed(_logger, ex);
                }
            }

            foreach (var entry in stale)
            {
                RequestPass(entry);
            }
        }
    }

    /// <summary>The mailboxes whose folders, as the mail server reports them, differ from the stored marks.</summary>
    private async Task<List<Entry>> StaleAsync(Entry[] batch, CancellationToken ct)
    {
        var now = await _changes.MarksAsync(batch.Select(e => e.Mailbox).ToList(), ct);
        var stored = await _states.LoadAsync(batch.Select(e => e.Mailbox).ToList(), ct);
        var stale = new List<Entry>();
        for (var i = 0; i < batch.Length; i++)
        {
            var marks = stored.GetValueOrDefault(batch[i].Mailbox) ?? [];
            // Records compare by value: a folder whose five numbers all match is unchanged.
            if (now[i] is not { } current || current.Count != marks.Count || !current.All(m => marks.GetValueOrDefault(m.Folder) == m))
            {
                stale.Add(batch[i]);
            }
        }

        return stale;
    }

    /// <summary>Hints about mailboxes this node does not hold, passed on in batches to whichever node holds them.</summary>
    private async Task ForwardLoopAsync(CancellationToken ct)
    {
        var batch = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            while (await _forward.Reader.WaitToReadAsync(ct))
            {
                while (batch.Count < 1000 && _forward.Reader.TryRead(out var mailbox))
                {
                    batch.Add(mailbox);
                }

                try
                {
                    await _leases.ForwardHintsAsync(batch.ToList(), NodeId, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // The holder's sweep repairs what this loses.
                    LogForwardFailed(_logger, ex, batch.Count);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
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
        _passSlots.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync pass of {Mailbox} failed; retrying in {Seconds} s")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string mailbox, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the watch lease of {Mailbox} to another node")]
    private static partial void LogLeaseLost(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch lease round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep could not ask doveadm for mailbox status; passing every due mailbox")]
    private static partial void LogSweepCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not pass {Count} push hints on to other nodes")]
    private static partial void LogForwardFailed(ILogger logger, Exception exception, int count);

    private sealed class Entry(string mailbox, Lock gate) : WantedMailbox(mailbox, gate)
    {
        public bool StreamReady { get; set; }
        public long NextLeaseTry { get; set; }
        public long NextSweep { get; set; }

        /// <summary>Guarded by lock(entry).</summary>
        public bool Running { get; set; }

        public bool Pending { get; set; }

        /// <summary>When the oldest ask not yet served by a pass came (Stopwatch timestamp), 0 for none.</summary>
        public long AskedAt { get; set; }
    }
}

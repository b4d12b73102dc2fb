using System.Collections.Concurrent;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Imap;

/// <summary>Runs IMAP work inside one user's mailbox on a pooled, authenticated connection.</summary>
internal interface IImapSessions
{
    Task<T> RunAsync<T>(string mailbox, Func<IMailboxSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken);
}

/// <summary>
/// A bounded pool of authenticated IMAP connections per mailbox (IMAP connections are expensive: TCP, LOGIN, SELECT).
/// At most <see cref="ImapOptions.MaxConnectionsPerUser"/> per user and <see cref="ImapOptions.MaxConnections"/> in all;
/// idle ones are health-checked before reuse, closed after <see cref="ImapOptions.IdleTimeout"/>, and a connection that
/// failed at the protocol level is discarded, never reused.
/// </summary>
internal sealed partial class ImapSessionPool : IImapSessions, IHostedService, IAsyncDisposable
{
    private readonly ImapOptions _options;
    private readonly IImapConnector _connector;
    private readonly ILogger<ImapSessionPool> _logger;
    private readonly MailMetrics _metrics;
    private readonly ConcurrentDictionary<string, UserPool> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _total;
    private CancellationTokenSource? _stopping;
    private volatile bool _disposed;
    private Task? _evictor;
    private int _waiting;

    /// <summary>Runs of one request's work on a new connection after a message broke a FETCH (one per culprit).</summary>
    private const int MaxMessageFaults = 16;

    private readonly FetchFaults _faults;

    public ImapSessionPool(IOptions<MailOptions> options, IImapConnector connector, ILogger<ImapSessionPool> logger, MailMetrics metrics, FetchFaults faults)
    {
        _faults = faults;
        _options = options.Value.Imap;
        _connector = connector;
        _logger = logger;
        _metrics = metrics;
        _total = new SemaphoreSlim(_options.MaxConnections, _options.MaxConnections);
        metrics.Meter.CreateObservableGauge("fayvad.mail.imap.pool.open", () => OpenConnections, "{connection}", "IMAP connections open (in use or idle).");
        metrics.Meter.CreateObservableGauge("fayvad.mail.imap.pool.idle", () => IdleConnections, "{connection}", "IMAP connections idle in the pool.");
        metrics.Meter.CreateObservableGauge("fayvad.mail.imap.pool.waiting", () => Volatile.Read(ref _waiting), "{request}", "Requests waiting for an IMAP connection.");
    }

    public int OpenConnections => _options.MaxConnections - _total.CurrentCount;

    public int IdleConnections => _users.Values.Sum(u => u.Idle.Count);

    public async Task<T> RunAsync<T>(string mailbox, Func<IMailboxSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        using var activity = MailTracing.Source.StartActivity("imap session");
        var user = _users.GetOrAdd(mailbox, _ => new UserPool(_options.MaxConnectionsPerUser));
        if (!await WaitCountedAsync(user.Slots, cancellationToken))
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "busy");
            throw new MailUnavailableException("The mail server is busy for this mailbox. Try again shortly.");
        }

        Pooled? pooled = null;
        FetchFaults.Current = new FetchFaults.Scope(_faults, mailbox);
        var messageFaults = 0;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var current = await TakeAsync(mailbox, user, cancellationToken);
                pooled = current;
                activity?.SetTag("fayvad.imap.connection", current.Reused ? "kept" : "new");
                activity?.SetTag("fayvad.imap.attempt", attempt);
                try
                {
                    var result = await work(current.Session, cancellationToken);
                    Return(user, current);
                    pooled = null;
                    return result;
                }
                catch (MessageFaultException ex)
                {
                    // One message broke a FETCH and the connection with it; it is demoted now, so the work runs again.
                    LogMessageFault(_logger, ex.InnerException, mailbox);
                    _metrics.MessageFaults.Add(1);
                    await CloseAsync(current);
                    pooled = null;
                    attempt--;
                    if (++messageFaults > MaxMessageFaults)
                    {
                        throw new MailUnavailableException("The connection to the mail server failed. Try again.", ex.InnerException);
                    }
                }
                catch (Exception ex) when (ImapConnector.IsConnectionFault(ex))
                {
                    LogConnectionFault(_logger, ex, mailbox);
                    _metrics.ImapFaults.Add(1);
                    // A kept connection can have died while idle (the server restarted, or it had selected a folder another
                    // session deleted: Dovecot ends such a session). Try again while the one that failed was a kept one; each
                    // try closes one, so this ends after the user's pool, with a new connection at the latest.
                    var retry = current.Reused && attempt <= _options.MaxConnectionsPerUser;
                    await CloseAsync(current);
                    pooled = null;
                    if (!retry)
                    {
                        throw new MailUnavailableException("The connection to the mail server failed. Try again.", ex);
                    }

                    // The server probably restarted: this mailbox's other idle connections are as dead as this one.
                    await CloseIdleAsync(user);
                }
                catch (Exception ex) when (ex is ImapCommandException or FolderNotFoundException or MessageNotFoundException)
                {
                    // The server said NO or BAD, or the folder or message is gone: the connection itself is fine.
                    Return(user, current);
                    pooled = null;
                    throw;
                }
            }
        }
        finally
        {
            // Anything else (cancellation included) leaves the connection in an unknown state: close it, free its slot.
            if (pooled is not null)
            {
                await CloseAsync(pooled);
            }

            user.Slots.Release();
        }
    }

    private static void Return(UserPool user, Pooled pooled)
    {
        pooled.LastUsed = Environment.TickCount64;
        pooled.Reused = true;
        user.Idle.Push(pooled);
    }

    private async Task<Pooled> TakeAsync(string mailbox, UserPool user, CancellationToken cancellationToken)
    {
        while (user.Idle.TryPop(out var idle))
        {
            bool healthy;
            try
            {
                healthy = await IsHealthyAsync(idle, cancellationToken);
            }
            catch
            {
                // Cancelled during the NOOP: the connection is neither known good nor returned, so it is closed.
                await CloseAsync(idle);
                throw;
            }

            if (healthy)
            {
                return idle;
            }

            await CloseAsync(idle);
        }

        // At the cap, another user's idle connection is worth less than this request (many users, few at a time).
        // Concurrent takers may grab the slot one eviction frees, so evict again while idle connections remain.
        var slot = _total.Wait(0, CancellationToken.None);
        while (!slot && await CloseOldestIdleAsync())
        {
            slot = _total.Wait(0, CancellationToken.None);
        }

        if (!slot && !await WaitCountedAsync(_total, cancellationToken))
        {
            throw new MailUnavailableException("Too many open mail connections. Try again shortly.");
        }

        try
        {
            var listener = new ServerLines();
            var client = await _connector.ConnectAsync(mailbox, cancellationToken, listener);
            return new Pooled(new MailboxSession(mailbox, client, listener,
                kept => _metrics.FolderOpens.Add(1, new KeyValuePair<string, object?>("how", kept ? "kept" : "selected"))));
        }
        catch (Exception ex)
        {
            if (ex is MailUnavailableException)
            {
                _metrics.ImapFaults.Add(1);
            }

            _total.Release();
            throw;
        }
    }

    private async Task<bool> WaitCountedAsync(SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        if (slots.Wait(0, CancellationToken.None))
        {
            return true;
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            return await slots.WaitAsync(_options.LeaseTimeout, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private async Task<bool> IsHealthyAsync(Pooled pooled, CancellationToken cancellationToken)
    {
        if (!pooled.Client.IsConnected || !pooled.Client.IsAuthenticated)
        {
            return false;
        }

        if (Environment.TickCount64 - pooled.LastUsed < _options.HealthCheckAfter.TotalMilliseconds)
        {
            return true;
        }

        try
        {
            await pooled.Client.NoOpAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ImapConnector.IsConnectionFault(ex) || ex is ImapCommandException)
        {
            return false;
        }
    }

    private async Task CloseAsync(Pooled pooled)
    {
        try
        {
            if (pooled.Client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await pooled.Client.DisconnectAsync(true, quick.Token);
            }
        }
        catch (Exception ex) when (ImapConnector.IsConnectionFault(ex) || ex is OperationCanceledException or ImapCommandException)
        {
            // Already broken; disposing is all that is left.
        }
        finally
        {
            pooled.Client.Dispose();
            _total.Release();
        }
    }

    /// <summary>Closes the least recently used idle connection of any user; false when none is idle.</summary>
    private async Task<bool> CloseOldestIdleAsync()
    {
        UserPool? oldestUser = null;
        var oldest = long.MaxValue;
        foreach (var (_, user) in _users)
        {
            foreach (var pooled in user.Idle)
            {
                if (pooled.LastUsed < oldest)
                {
                    oldest = pooled.LastUsed;
                    oldestUser = user;
                }
            }
        }

        if (oldestUser is null)
        {
            return false;
        }

        var idle = new List<Pooled>();
        while (oldestUser.Idle.TryPop(out var pooled))
        {
            idle.Add(pooled);
        }

        if (idle.Count == 0)
        {
            return false;
        }

        var victim = idle.MinBy(p => p.LastUsed)!;
        foreach (var pooled in idle.Where(p => p != victim).OrderBy(p => p.LastUsed))
        {
            oldestUser.Idle.Push(pooled);
        }

        await CloseAsync(victim);
        return true;
    }

    private async Task CloseIdleAsync(UserPool user)
    {
        while (user.Idle.TryPop(out var idle))
        {
            await CloseAsync(idle);
        }
    }

    /// <summary>Closes idle connections past the idle timeout; users whose pool is empty keep only a tiny entry.</summary>
    internal async Task EvictIdleAsync()
    {
        var cutoff = Environment.TickCount64 - (long)_options.IdleTimeout.TotalMilliseconds;
        foreach (var (_, user) in _users)
        {
            var keep = new List<Pooled>();
            while (user.Idle.TryPop(out var pooled))
            {
                if (pooled.LastUsed < cutoff)
                {
                    await CloseAsync(pooled);
                }
                else
                {
                    keep.Add(pooled);
                }
            }

            // Push back oldest first so the most recently used stays on top.
            foreach (var pooled in keep.OrderBy(p => p.LastUsed))
            {
                user.Idle.Push(pooled);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _evictor = EvictLoopAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task EvictLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _options.IdleTimeout.TotalSeconds / 4)));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await EvictIdleAsync();
            }
        }
        catch (OperationCanceledException)
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

        if (_stopping is not null)
        {
            await _stopping.CancelAsync();
        }

        if (_evictor is not null)
        {
            await _evictor;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_stopping is not null)
        {
            await _stopping.CancelAsync();
        }

        foreach (var (_, user) in _users)
        {
            while (user.Idle.TryPop(out var pooled))
            {
                await CloseAsync(pooled);
            }
        }

        _stopping?.Dispose();
    }

    private sealed class UserPool(int maxConnections)
    {
        public SemaphoreSlim Slots { get; } = new(maxConnections, maxConnections);
        public ConcurrentStack<Pooled> Idle { get; } = new();
    }

    private sealed class Pooled(MailboxSession session)
    {
        public MailboxSession Session { get; } = session;

        public ImapClient Client => Session.Client;
        public long LastUsed { get; set; } = Environment.TickCount64;

        /// <summary>Served a request before; only such a connection may have died unnoticed while idle.</summary>
        public bool Reused { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message in {Mailbox} broke a FETCH; it is read with a lesser plan from now on")]
    private static partial void LogMessageFault(ILogger logger, Exception? exception, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP connection for {Mailbox} failed and was discarded")]
    private static partial void LogConnectionFault(ILogger logger, Exception exception, string mailbox);
}

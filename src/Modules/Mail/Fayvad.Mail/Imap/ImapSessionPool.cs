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
    Task<T> RunAsync<T>(string mailbox, Func<ImapClient, CancellationToken, Task<T>> work, CancellationToken cancellationToken);
}

/// <summary>
/// A bounded pool of authenticated IMAP connections per mailbox (IMAP connections are expensive: TCP, LOGIN, SELECT).
/// At most <see cref="ImapOptions.MaxConnectionsPerUser"/> per user and <see cref="ImapOptions.MaxConnections"/> in all;
/// idle ones are health-checked before reuse, closed after <see cref="ImapOptions.IdleTimeout"/>, and a connection that
/// failed at the protocol level is discarded, never reused.
/// </summary>
internal sealed partial class ImapSessionPool(IOptions<MailOptions> options, IImapConnector connector, ILogger<ImapSessionPool> logger)
    : IImapSessions, IHostedService, IAsyncDisposable
{
    private readonly ImapOptions _options = options.Value.Imap;
    private readonly ConcurrentDictionary<string, UserPool> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _total = new(options.Value.Imap.MaxConnections, options.Value.Imap.MaxConnections);
    private CancellationTokenSource? _stopping;
    private Task? _evictor;

    public int OpenConnections => _options.MaxConnections - _total.CurrentCount;

    public async Task<T> RunAsync<T>(string mailbox, Func<ImapClient, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var user = _users.GetOrAdd(mailbox, _ => new UserPool(_options.MaxConnectionsPerUser));
        if (!await user.Slots.WaitAsync(_options.LeaseTimeout, cancellationToken))
        {
            throw new MailUnavailableException("The mail server is busy for this mailbox. Try again shortly.");
        }

        Pooled? pooled = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var current = await TakeAsync(mailbox, user, cancellationToken);
                pooled = current;
                try
                {
                    var result = await work(current.Client, cancellationToken);
                    Return(user, current);
                    pooled = null;
                    return result;
                }
                catch (Exception ex) when (ImapConnector.IsConnectionFault(ex))
                {
                    LogConnectionFault(logger, ex, mailbox);
                    // A kept connection can have died while idle (e.g. the server restarted): one more try on a new one.
                    var retry = current.Reused && attempt == 1;
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

        if (!await _total.WaitAsync(_options.LeaseTimeout, cancellationToken))
        {
            throw new MailUnavailableException("Too many open mail connections. Try again shortly.");
        }

        try
        {
            return new Pooled(await connector.ConnectAsync(mailbox, cancellationToken));
        }
        catch
        {
            _total.Release();
            throw;
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

    private sealed class Pooled(ImapClient client)
    {
        public ImapClient Client { get; } = client;
        public long LastUsed { get; set; } = Environment.TickCount64;

        /// <summary>Served a request before; only such a connection may have died unnoticed while idle.</summary>
        public bool Reused { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP connection for {Mailbox} failed and was discarded")]
    private static partial void LogConnectionFault(ILogger logger, Exception exception, string mailbox);
}

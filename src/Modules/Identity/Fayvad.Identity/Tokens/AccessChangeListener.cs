using Fayvad.Directory.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fayvad.Identity.Tokens;

/// <summary>
/// This node's LISTEN on the channels the token and Directory tables NOTIFY on commit (docs/adr/0014). Every
/// notification makes the <see cref="TokenCache"/> forget the entries it concerns. While the connection is down the cache is off, so every
/// request is checked in PostgreSQL, as before it existed.
/// </summary>
internal sealed partial class AccessChangeListener(NpgsqlDataSource data, TokenCache cache, ILogger<AccessChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await data.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => cache.Forget(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {TokenCache.Channel}; LISTEN {DirectoryAccessChanges.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.SetListening(true);
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
                cache.SetListening(false);
                LogListenFailed(logger, ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
            finally
            {
                cache.SetListening(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for access changes failed; tokens are checked in PostgreSQL on every request until it is back (retry in {Seconds} s)")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, double seconds);
}

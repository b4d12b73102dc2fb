using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Log;

/// <summary>Drops mailbox events older than Mail:Push:Retention, whichever push mode writes them.</summary>
internal sealed partial class EventLogPurger(EventLog log, IOptions<PushOptions> options, ILogger<EventLogPurger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        try
        {
            do
            {
                try
                {
                    await log.PurgeAsync(options.Value.Retention, stoppingToken);
                }
                catch (Npgsql.NpgsqlException ex)
                {
                    LogPurgeFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging old mailbox events failed")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}

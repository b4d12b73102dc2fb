using Fayvad.Mail.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Uploads;

/// <summary>
/// Removes uploads that no send or draft used for Mail:Uploads:Lifetime. Every node may run it: the DELETE is
/// idempotent, so two nodes sweeping at once only repeat each other.
/// </summary>
internal sealed partial class UploadJanitor(MailDataSource data, TimeProvider clock, IOptions<MailOptions> options, ILogger<UploadJanitor> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Uploads;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var removed = await UploadSweep.DeleteUnusedAsync(data.Source, clock.GetUtcNow() - settings.Lifetime, stoppingToken);
                    if (removed > 0)
                    {
                        LogRemoved(logger, removed);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database may be briefly away: the next sweep catches up.
                    LogSweepFailed(logger, ex);
                }

                await Task.Delay(settings.SweepInterval, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} unused uploads")]
    private static partial void LogRemoved(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping unused uploads failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

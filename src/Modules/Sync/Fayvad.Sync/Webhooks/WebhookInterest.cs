using System.Threading.Channels;
using Fayvad.Directory.Contracts;
using Fayvad.Sync.Data;
using Fayvad.Sync.Watch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fayvad.Sync.Webhooks;

/// <summary>
/// Keeps every mailbox of an organization with an active webhook watched, with no browser attached: a Django app has
/// no long-lived connection, so the API itself is the listener. Re-read on a timer and whenever a webhook changes here.
/// </summary>
internal sealed partial class WebhookInterest(
    SyncDataSource data, IServiceScopeFactory scopes, IMailboxWatches watchers, IOptions<WebhookOptions> options, ILogger<WebhookInterest> logger)
    : BackgroundService
{
    private readonly Dictionary<string, IDisposable> _held = new(StringComparer.OrdinalIgnoreCase);
    private readonly Channel<bool> _refresh = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void RefreshSoon() => _refresh.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RefreshAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogRefreshFailed(logger, ex);
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(options.Value.InterestRefresh);
                try
                {
                    await _refresh.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var handle in _held.Values)
            {
                handle.Dispose();
            }

            _held.Clear();
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        var organizations = new List<long>();
        await using (var cmd = data.Source.CreateCommand("SELECT DISTINCT organization_id FROM sync.webhooks WHERE active"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                organizations.Add(reader.GetInt64(0));
            }
        }

        IReadOnlyList<OrganizationMailbox> mailboxes = [];
        if (organizations.Count > 0)
        {
            await using var scope = scopes.CreateAsyncScope();
            mailboxes = await scope.ServiceProvider.GetRequiredService<IDirectoryMailboxes>().ActiveMailboxesAsync(organizations, ct);
        }

        var wanted = mailboxes.ToDictionary(m => m.Address, StringComparer.OrdinalIgnoreCase);
        foreach (var gone in _held.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
        {
            _held[gone].Dispose();
            _held.Remove(gone);
        }

        foreach (var (address, mailbox) in wanted)
        {
            if (!_held.ContainsKey(address))
            {
                _held[address] = watchers.Acquire(address, mailbox.OrganizationId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the mailboxes watched for webhooks")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

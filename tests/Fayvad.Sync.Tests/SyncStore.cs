using System.Text.Json;
using Fayvad.Sync.Data;
using Fayvad.Sync.Log;
using Fayvad.Sync.Watch;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fayvad.Sync.Tests;

/// <summary>
/// The Sync module's storage on the stack's real PostgreSQL (schema sync), for a test's own mailboxes: their stream
/// rows exist from the start, and everything recorded for them is removed at the end.
/// </summary>
internal sealed class SyncStore : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(Fayvad.Api.Tests.StackSettings.DbConnection);
    private readonly IReadOnlyList<string> _mailboxes;

    private SyncStore(IReadOnlyList<string> mailboxes)
    {
        _mailboxes = mailboxes;
        Data = new SyncDataSource(_db);
        var json = new JsonOptions();
        json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        Metrics = new SyncMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        Log = new EventLog(Data, Options.Create(json), Metrics);
        States = new FolderStates(Data);
    }

    public SyncDataSource Data { get; }

    public SyncMetrics Metrics { get; }

    public EventLog Log { get; }

    public FolderStates States { get; }

    public static async Task<SyncStore> OpenAsync(IReadOnlyList<string> mailboxes, CancellationToken ct)
    {
        var store = new SyncStore(mailboxes);
        await new Leases(store.Data).EnsureStreamsAsync(mailboxes, mailboxes.Select(_ => (long?)null).ToList(), ct);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var mailbox in _mailboxes)
        {
            await new RemovedMailboxRecords(Data).MailboxRemovedAsync(mailbox, CancellationToken.None);
        }

        await _db.DisposeAsync();
        await _services.DisposeAsync();
    }
}

using Fayvad.Mail.Contracts;
using Fayvad.Sync.Data;
using Npgsql;

namespace Fayvad.Sync.Log;

/// <summary>A purged mailbox leaves no event, folder mark or stream row behind (the Directory's purge, via the Mail module).</summary>
internal sealed class RemovedMailboxRecords(SyncDataSource data) : IMailboxRemovedHandler
{
    private static readonly string[] Tables = ["mailbox_events", "folder_states", "mailbox_streams"];

    public async Task MailboxRemovedAsync(string address, CancellationToken cancellationToken)
    {
        await using var batch = data.Source.CreateBatch();
        foreach (var table in Tables)
        {
            var command = new NpgsqlBatchCommand($"DELETE FROM sync.{table} WHERE mailbox = $1");
            command.Parameters.AddWithValue(address);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}

using Fayvad.Mail.Contracts;
using Fayvad.Sync.Data;
using Npgsql;

namespace Fayvad.Sync.Log;

/// <summary>What the last pass saw of each folder (sync.folder_states): the baseline the next pass compares with.</summary>
internal sealed class FolderStates(SyncDataSource data)
{
    private readonly NpgsqlDataSource _db = data.Source;

    public async Task<Dictionary<string, FolderMark>> LoadAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT folder, uid_validity, uid_next, highest_mod_seq, messages, unseen FROM sync.folder_states WHERE mailbox = $1
            """);
        cmd.Parameters.AddWithValue(mailbox);
        var states = new Dictionary<string, FolderMark>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var folder = reader.GetString(0);
            states[folder] = new FolderMark(folder, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetInt32(5));
        }

        return states;
    }

    /// <summary>The stored folder states of many mailboxes, keyed by mailbox then folder.</summary>
    public async Task<Dictionary<string, Dictionary<string, FolderMark>>> LoadAsync(IReadOnlyList<string> mailboxes, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT mailbox, folder, uid_validity, uid_next, highest_mod_seq, messages, unseen FROM sync.folder_states WHERE mailbox = ANY($1)
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        var all = new Dictionary<string, Dictionary<string, FolderMark>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var mailbox = reader.GetString(0);
            if (!all.TryGetValue(mailbox, out var states))
            {
                all[mailbox] = states = new Dictionary<string, FolderMark>(StringComparer.Ordinal);
            }

            var folder = reader.GetString(1);
            states[folder] = new FolderMark(folder, reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt32(5), reader.GetInt32(6));
        }

        return all;
    }
}

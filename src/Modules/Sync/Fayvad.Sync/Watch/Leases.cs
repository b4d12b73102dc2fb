using Fayvad.Sync.Data;
using Npgsql;
using NpgsqlTypes;

namespace Fayvad.Sync.Watch;

/// <summary>
/// The watch leases in sync.mailbox_streams: which node keeps a mailbox in sync. Each call is one statement for any
/// number of mailboxes, so a node's lease round costs the same for ten mailboxes as for ten thousand (docs/adr/0021).
/// </summary>
internal sealed class Leases(SyncDataSource data)
{
    /// <summary>A push hint passed on to the node that holds the mailbox's lease (payload: the mailbox).</summary>
    public const string HintsChannel = "mail_hints";

    private readonly NpgsqlDataSource _db = data.Source;

    /// <summary>The node holding the mailbox's watch lease, if the lease is live; null when nobody watches it.</summary>
    public async Task<string?> WatcherAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT watcher_node FROM sync.mailbox_streams WHERE mailbox = $1 AND watcher_until > now() AND synced_at IS NOT NULL
            """);
        cmd.Parameters.AddWithValue(mailbox);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Creates the stream rows that do not exist yet, in one statement.</summary>
    public async Task EnsureStreamsAsync(IReadOnlyList<string> mailboxes, IReadOnlyList<long?> organizationIds, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            INSERT INTO sync.mailbox_streams (mailbox, organization_id, last_seq)
            SELECT m, o, 0 FROM unnest($1::text[], $2::bigint[]) AS s(m, o)
            ON CONFLICT (mailbox) DO UPDATE SET organization_id = COALESCE(EXCLUDED.organization_id, mailbox_streams.organization_id)
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = organizationIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Takes or renews the leases of many mailboxes in one statement; returns those this node holds now.</summary>
    public async Task<HashSet<string>> LeaseManyAsync(IReadOnlyList<string> mailboxes, string node, TimeSpan ttl, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            UPDATE sync.mailbox_streams SET watcher_node = $2, watcher_until = now() + $3
            WHERE mailbox = ANY($1) AND (watcher_node = $2 OR watcher_node IS NULL OR watcher_until < now())
            RETURNING mailbox
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.AddWithValue(node);
        cmd.Parameters.AddWithValue(ttl);
        var held = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            held.Add(reader.GetString(0));
        }

        return held;
    }

    public async Task ReleaseLeasesAsync(IReadOnlyList<string> mailboxes, string node, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("UPDATE sync.mailbox_streams SET watcher_node = NULL, watcher_until = NULL WHERE mailbox = ANY($1) AND watcher_node = $2");
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.AddWithValue(node);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Passes hints on to the nodes that hold a live lease on those mailboxes; returns how many were passed on.</summary>
    public async Task<long> ForwardHintsAsync(IReadOnlyList<string> mailboxes, string node, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand($"""
            SELECT count(pg_notify('{HintsChannel}', mailbox)) FROM sync.mailbox_streams
            WHERE mailbox = ANY($1) AND watcher_node <> $2 AND watcher_until > now()
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.AddWithValue(node);
        return await cmd.ExecuteScalarAsync(ct) is long n ? n : 0;
    }
}

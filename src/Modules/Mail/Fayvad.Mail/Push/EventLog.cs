using System.Text.Json;
using Fayvad.Mail.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Fayvad.Mail.Push;

/// <summary>The process's shared PostgreSQL data source, as the Mail module's hand-written SQL reaches it; the container owns it.</summary>
internal sealed class MailDataSource(NpgsqlDataSource source)
{
    public NpgsqlDataSource Source { get; } = source;
}

/// <summary>
/// Each mailbox's event log in PostgreSQL. Events are numbered per mailbox under a row lock, so numbers follow commit
/// order and a reader resuming after N never skips one; the commit that writes them also stores the folder states
/// they were derived from, queues webhook deliveries and NOTIFYs every node.
/// </summary>
internal sealed class EventLog(MailDataSource data, IOptions<JsonOptions> json, MailMetrics metrics)
{
    public const string EventsChannel = "mail_events";
    public const string WebhooksChannel = "mail_webhooks";

    /// <summary>A push hint passed on to the node that holds the mailbox's lease (payload: the mailbox).</summary>
    public const string HintsChannel = "mail_hints";

    private readonly NpgsqlDataSource _db = data.Source;
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public static string WebhookEventId(string mailbox, long seq) => $"{seq}.{mailbox}";

    /// <summary>Creates the mailbox's stream row if needed; returns its last sequence number and last sync time.</summary>
    public async Task<(long LastSeq, DateTimeOffset? SyncedAt)> EnsureStreamAsync(string mailbox, long? organizationId, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            INSERT INTO mail.mailbox_streams (mailbox, organization_id, last_seq) VALUES ($1, $2, 0)
            ON CONFLICT (mailbox) DO UPDATE SET organization_id = COALESCE(EXCLUDED.organization_id, mailbox_streams.organization_id)
            RETURNING last_seq, synced_at
            """);
        cmd.Parameters.AddWithValue(mailbox);
        cmd.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = organizationId, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>The stream row as it is, without writing it; (0, null) when the mailbox has none yet.</summary>
    public async Task<(long LastSeq, DateTimeOffset? SyncedAt)> PositionAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("SELECT last_seq, synced_at FROM mail.mailbox_streams WHERE mailbox = $1");
        cmd.Parameters.AddWithValue(mailbox);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)) : (0, null);
    }

    public async Task<(long LastSeq, long? OldestSeq)> BoundsAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT COALESCE((SELECT last_seq FROM mail.mailbox_streams WHERE mailbox = $1), 0),
                   (SELECT min(seq) FROM mail.mailbox_events WHERE mailbox = $1)
            """);
        cmd.Parameters.AddWithValue(mailbox);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    /// <summary>The node holding the mailbox's watch lease, if the lease is live; null when nobody watches it.</summary>
    public async Task<string?> WatcherAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT watcher_node FROM mail.mailbox_streams WHERE mailbox = $1 AND watcher_until > now() AND synced_at IS NOT NULL
            """);
        cmd.Parameters.AddWithValue(mailbox);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Whether a message arrived in the folder after event <paramref name="afterSeq"/>, or after <paramref name="afterTime"/>.</summary>
    public async Task<bool> HasNewMessageAsync(string mailbox, string folder, long? afterSeq, DateTimeOffset? afterTime, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand($"""
            SELECT EXISTS (SELECT 1 FROM mail.mailbox_events WHERE mailbox = $1 AND folder = $2 AND type = '{MailEventTypes.MessageNew}'
                           AND ($3::bigint IS NULL OR seq > $3) AND ($4::timestamptz IS NULL OR created_at > $4))
            """);
        cmd.Parameters.AddWithValue(mailbox);
        cmd.Parameters.AddWithValue(folder);
        cmd.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = afterSeq, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = afterTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string mailbox, long afterSeq, int limit, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT seq, type, data, created_at FROM mail.mailbox_events
            WHERE mailbox = $1 AND seq > $2 ORDER BY seq LIMIT $3
            """);
        cmd.Parameters.AddWithValue(mailbox);
        cmd.Parameters.AddWithValue(afterSeq);
        cmd.Parameters.AddWithValue(limit);
        var events = new List<StoredEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return events;
    }

    public async Task<Dictionary<string, FolderState>> LoadStatesAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT folder, uid_validity, uid_next, highest_mod_seq, messages, unseen FROM mail.folder_states WHERE mailbox = $1
            """);
        cmd.Parameters.AddWithValue(mailbox);
        var states = new Dictionary<string, FolderState>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var folder = reader.GetString(0);
            states[folder] = new FolderState
            {
                Mailbox = mailbox, Folder = folder, UidValidity = reader.GetInt64(1), UidNext = reader.GetInt64(2),
                HighestModSeq = reader.GetInt64(3), Messages = reader.GetInt32(4), Unseen = reader.GetInt32(5),
            };
        }

        return states;
    }

    /// <summary>
    /// Writes one sync pass atomically. False, with nothing written, when another writer appended since
    /// <paramref name="expectedLastSeq"/> was read: the caller re-reads and syncs again, so no event is doubled.
    /// </summary>
    public async Task<bool> CommitAsync(
        string mailbox, long expectedLastSeq, IReadOnlyList<PendingEvent> events, IReadOnlyCollection<FolderState> states,
        IReadOnlyCollection<string> removedFolders, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long lastSeq;
        long? organizationId;
        await using (var lockRow = new NpgsqlCommand("SELECT last_seq, organization_id FROM mail.mailbox_streams WHERE mailbox = $1 FOR UPDATE", connection, tx))
        {
            lockRow.Parameters.AddWithValue(mailbox);
            await using var reader = await lockRow.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return false;
            }

            lastSeq = reader.GetInt64(0);
            organizationId = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        if (lastSeq != expectedLastSeq)
        {
            return false;
        }

        var batch = new NpgsqlBatch(connection, tx);
        var now = DateTimeOffset.UtcNow;
        int? webhookInsert = null;
        if (events.Count > 0)
        {
            var seqs = new long[events.Count];
            var types = new string[events.Count];
            var folders = new string?[events.Count];
            var bodies = new string[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                seqs[i] = lastSeq + 1 + i;
                types[i] = events[i].Type;
                folders[i] = events[i].Folder;
                bodies[i] = JsonSerializer.Serialize(events[i].Data, events[i].Data.GetType(), _json);
            }

            batch.BatchCommands.Add(Command("""
                INSERT INTO mail.mailbox_events (mailbox, seq, type, folder, data, created_at)
                SELECT $1, s, t, f, d, $6 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS e(s, t, f, d)
                """, mailbox, seqs, types, folders, bodies, now));
            if (organizationId is { } org)
            {
                webhookInsert = batch.BatchCommands.Count;
                // Only a mailbox of an organization can have webhooks; their body wraps the same event JSON.
                var webhookIds = seqs.Select(seq => WebhookEventId(mailbox, seq)).ToArray();
                var webhookBodies = events.Select((e, i) => JsonSerializer.Serialize(new WebhookBody(webhookIds[i], e.Type, now, mailbox, e.Data), _json)).ToArray();
                batch.BatchCommands.Add(Command("""
                    INSERT INTO mail.webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at)
                    SELECT w.id, e.id, e.type, e.body, 'pending', 0, $5, $5
                    FROM unnest($2::text[], $3::text[], $4::text[]) AS e(id, type, body)
                    JOIN mail.webhooks w ON w.organization_id = $1 AND w.active AND (e.type = ANY(w.events) OR '*' = ANY(w.events))
                    ON CONFLICT (webhook_id, event_id) DO NOTHING
                    """, org, webhookIds, types, webhookBodies, now));
                batch.BatchCommands.Add(Command($"SELECT pg_notify('{WebhooksChannel}', '')"));
            }
        }

        if (states.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO mail.folder_states (mailbox, folder, uid_validity, uid_next, highest_mod_seq, messages, unseen)
                SELECT $1, f, v, n, m, c, u FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::int[]) AS s(f, v, n, m, c, u)
                ON CONFLICT (mailbox, folder) DO UPDATE SET uid_validity = EXCLUDED.uid_validity, uid_next = EXCLUDED.uid_next,
                    highest_mod_seq = EXCLUDED.highest_mod_seq, messages = EXCLUDED.messages, unseen = EXCLUDED.unseen
                """, mailbox, states.Select(s => s.Folder).ToArray(), states.Select(s => s.UidValidity).ToArray(),
                states.Select(s => s.UidNext).ToArray(), states.Select(s => s.HighestModSeq).ToArray(),
                states.Select(s => s.Messages).ToArray(), states.Select(s => s.Unseen).ToArray()));
        }

        if (removedFolders.Count > 0)
        {
            batch.BatchCommands.Add(Command("DELETE FROM mail.folder_states WHERE mailbox = $1 AND folder = ANY($2)", mailbox, removedFolders.ToArray()));
        }

        batch.BatchCommands.Add(Command("UPDATE mail.mailbox_streams SET last_seq = $2, synced_at = $3 WHERE mailbox = $1", mailbox, lastSeq + events.Count, now));
        if (events.Count > 0)
        {
            // Delivered at commit, to every node LISTENing: the payload only says which mailbox to re-read.
            batch.BatchCommands.Add(Command($"SELECT pg_notify('{EventsChannel}', $1)", mailbox));
        }

        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var e in events)
        {
            metrics.PushEvents.Add(1, new KeyValuePair<string, object?>("type", e.Type));
        }

        if (webhookInsert is { } index && batch.BatchCommands[index].RecordsAffected > 0)
        {
            metrics.WebhooksQueued.Add(batch.BatchCommands[index].RecordsAffected);
        }

        return true;
    }

    /// <summary>Takes or renews the mailbox's watch lease for this node; false while another node holds a live one.</summary>
    public async Task<bool> TryLeaseAsync(string mailbox, string node, TimeSpan ttl, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            UPDATE mail.mailbox_streams SET watcher_node = $2, watcher_until = now() + $3
            WHERE mailbox = $1 AND (watcher_node = $2 OR watcher_node IS NULL OR watcher_until < now())
            """);
        cmd.Parameters.AddWithValue(mailbox);
        cmd.Parameters.AddWithValue(node);
        cmd.Parameters.AddWithValue(ttl);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Creates the stream rows that do not exist yet, in one statement.</summary>
    public async Task EnsureStreamsAsync(IReadOnlyList<string> mailboxes, IReadOnlyList<long?> organizationIds, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            INSERT INTO mail.mailbox_streams (mailbox, organization_id, last_seq)
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
            UPDATE mail.mailbox_streams SET watcher_node = $2, watcher_until = now() + $3
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
        await using var cmd = _db.CreateCommand("UPDATE mail.mailbox_streams SET watcher_node = NULL, watcher_until = NULL WHERE mailbox = ANY($1) AND watcher_node = $2");
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.AddWithValue(node);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Passes hints on to the nodes that hold a live lease on those mailboxes; returns how many were passed on.</summary>
    public async Task<long> ForwardHintsAsync(IReadOnlyList<string> mailboxes, string node, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand($"""
            SELECT count(pg_notify('{HintsChannel}', mailbox)) FROM mail.mailbox_streams
            WHERE mailbox = ANY($1) AND watcher_node <> $2 AND watcher_until > now()
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        cmd.Parameters.AddWithValue(node);
        return await cmd.ExecuteScalarAsync(ct) is long n ? n : 0;
    }

    /// <summary>The stored folder states of many mailboxes, keyed by mailbox then folder.</summary>
    public async Task<Dictionary<string, Dictionary<string, FolderState>>> LoadStatesAsync(IReadOnlyList<string> mailboxes, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT mailbox, folder, uid_validity, uid_next, highest_mod_seq, messages, unseen FROM mail.folder_states WHERE mailbox = ANY($1)
            """);
        cmd.Parameters.AddWithValue(mailboxes.ToArray());
        var all = new Dictionary<string, Dictionary<string, FolderState>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var mailbox = reader.GetString(0);
            if (!all.TryGetValue(mailbox, out var states))
            {
                all[mailbox] = states = new Dictionary<string, FolderState>(StringComparer.Ordinal);
            }

            var folder = reader.GetString(1);
            states[folder] = new FolderState
            {
                Mailbox = mailbox, Folder = folder, UidValidity = reader.GetInt64(2), UidNext = reader.GetInt64(3),
                HighestModSeq = reader.GetInt64(4), Messages = reader.GetInt32(5), Unseen = reader.GetInt32(6),
            };
        }

        return all;
    }

    public async Task ReleaseLeaseAsync(string mailbox, string node, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("UPDATE mail.mailbox_streams SET watcher_node = NULL, watcher_until = NULL WHERE mailbox = $1 AND watcher_node = $2");
        cmd.Parameters.AddWithValue(mailbox);
        cmd.Parameters.AddWithValue(node);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> PurgeAsync(TimeSpan retention, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("DELETE FROM mail.mailbox_events WHERE created_at < now() - $1");
        cmd.Parameters.AddWithValue(retention);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value } : new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>What a webhook receives: a stable id to de-duplicate retries by, and the event as the stream has it.</summary>
    private sealed record WebhookBody(string EventId, string Type, DateTimeOffset CreatedAt, string Mailbox, object Data);
}

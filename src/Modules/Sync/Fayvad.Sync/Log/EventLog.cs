using System.Text.Json;
using Fayvad.Mail.Contracts;
using Fayvad.Sync.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Fayvad.Sync.Log;

/// <summary>
/// Each mailbox's event log in PostgreSQL. Events are numbered per mailbox under a row lock, so numbers follow commit
/// order and a reader resuming after N never skips one; the commit that writes them also stores the folder marks
/// they were derived from, queues webhook deliveries and NOTIFYs every node.
/// </summary>
internal sealed class EventLog(SyncDataSource data, IOptions<JsonOptions> json, SyncMetrics metrics)
{
    public const string EventsChannel = "mail_events";

    public const string WebhooksChannel = "mail_webhooks";

    private readonly NpgsqlDataSource _db = data.Source;

    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public static string WebhookEventId(string mailbox, long seq) => $"{seq}.{mailbox}";

    /// <summary>Creates the mailbox's stream row if needed; returns its last sequence number and last sync time.</summary>
    public async Task<(long LastSeq, DateTimeOffset? SyncedAt)> EnsureStreamAsync(string mailbox, long? organizationId, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            INSERT INTO sync.mailbox_streams (mailbox, organization_id, last_seq) VALUES ($1, $2, 0)
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
        await using var cmd = _db.CreateCommand("SELECT last_seq, synced_at FROM sync.mailbox_streams WHERE mailbox = $1");
        cmd.Parameters.AddWithValue(mailbox);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)) : (0, null);
    }

    public async Task<(long LastSeq, long? OldestSeq)> BoundsAsync(string mailbox, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            SELECT COALESCE((SELECT last_seq FROM sync.mailbox_streams WHERE mailbox = $1), 0),
                   (SELECT min(seq) FROM sync.mailbox_events WHERE mailbox = $1)
            """);
        cmd.Parameters.AddWithValue(mailbox);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    /// <summary>Whether a message arrived in the folder after event <paramref name="afterSeq"/>, or after <paramref name="afterTime"/>.</summary>
    public async Task<bool> HasNewMessageAsync(string mailbox, string folder, long? afterSeq, DateTimeOffset? afterTime, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand($"""
            SELECT EXISTS (SELECT 1 FROM sync.mailbox_events WHERE mailbox = $1 AND folder = $2 AND type = '{MailEventTypes.MessageNew}'
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
            SELECT seq, type, data, created_at FROM sync.mailbox_events
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

    /// <summary>
    /// Writes one sync pass atomically. False, with nothing written, when another writer appended since
    /// <paramref name="expectedLastSeq"/> was read: the caller re-reads and syncs again, so no event is doubled.
    /// </summary>
    public async Task<bool> CommitAsync(
        string mailbox, long expectedLastSeq, IReadOnlyList<MailChange> events, IReadOnlyCollection<FolderMark> states,
        IReadOnlyCollection<string> removedFolders, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long lastSeq;
        long? organizationId;
        await using (var lockRow = new NpgsqlCommand("SELECT last_seq, organization_id FROM sync.mailbox_streams WHERE mailbox = $1 FOR UPDATE", connection, tx))
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
                INSERT INTO sync.mailbox_events (mailbox, seq, type, folder, data, created_at)
                SELECT $1, s, t, f, d, $6 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS e(s, t, f, d)
                """, mailbox, seqs, types, folders, bodies, now));
            if (organizationId is { } org)
            {
                webhookInsert = batch.BatchCommands.Count;
                // Only a mailbox of an organization can have webhooks; their body wraps the same event JSON.
                var webhookIds = seqs.Select(seq => WebhookEventId(mailbox, seq)).ToArray();
                var webhookBodies = events.Select((e, i) => JsonSerializer.Serialize(new WebhookBody(webhookIds[i], e.Type, now, mailbox, e.Data), _json)).ToArray();
                batch.BatchCommands.Add(Command("""
                    INSERT INTO sync.webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at)
                    SELECT w.id, e.id, e.type, e.body, 'pending', 0, $5, $5
                    FROM unnest($2::text[], $3::text[], $4::text[]) AS e(id, type, body)
                    JOIN sync.webhooks w ON w.organization_id = $1 AND w.active AND (e.type = ANY(w.events) OR '*' = ANY(w.events))
                    ON CONFLICT (webhook_id, event_id) DO NOTHING
                    """, org, webhookIds, types, webhookBodies, now));
                batch.BatchCommands.Add(Command($"SELECT pg_notify('{WebhooksChannel}', '')"));
            }
        }

        if (states.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO sync.folder_states (mailbox, folder, uid_validity, uid_next, highest_mod_seq, messages, unseen)
                SELECT $1, f, v, n, m, c, u FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::int[]) AS s(f, v, n, m, c, u)
                ON CONFLICT (mailbox, folder) DO UPDATE SET uid_validity = EXCLUDED.uid_validity, uid_next = EXCLUDED.uid_next,
                    highest_mod_seq = EXCLUDED.highest_mod_seq, messages = EXCLUDED.messages, unseen = EXCLUDED.unseen
                """, mailbox, states.Select(s => s.Folder).ToArray(), states.Select(s => s.UidValidity).ToArray(),
                states.Select(s => s.UidNext).ToArray(), states.Select(s => s.HighestModSeq).ToArray(),
                states.Select(s => s.Messages).ToArray(), states.Select(s => s.Unseen).ToArray()));
        }

        if (removedFolders.Count > 0)
        {
            batch.BatchCommands.Add(Command("DELETE FROM sync.folder_states WHERE mailbox = $1 AND folder = ANY($2)", mailbox, removedFolders.ToArray()));
        }

        batch.BatchCommands.Add(Command("UPDATE sync.mailbox_streams SET last_seq = $2, synced_at = $3 WHERE mailbox = $1", mailbox, lastSeq + events.Count, now));
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

    public async Task<int> PurgeAsync(TimeSpan retention, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("DELETE FROM sync.mailbox_events WHERE created_at < now() - $1");
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

namespace Fayvad.Sync.Data;

/// <summary>
/// One row per watched mailbox: the event sequence (locked to number events in commit order), and the lease that lets
/// one API node at a time keep the mailbox in sync (its passes).
/// </summary>
internal sealed class MailboxStream
{
    public required string Mailbox { get; set; }
    public long? OrganizationId { get; set; }
    public long LastSeq { get; set; }
    public string? WatcherNode { get; set; }
    public DateTimeOffset? WatcherUntil { get; set; }

    /// <summary>When a watcher last brought <see cref="FolderState"/> up to date; a long gap means a reset, not a flood.</summary>
    public DateTimeOffset? SyncedAt { get; set; }
}

/// <summary>An event in a mailbox's log; (mailbox, seq) is the SSE id and, with the mailbox, the webhook event id.</summary>
internal sealed class MailboxEventRecord
{
    public required string Mailbox { get; set; }
    public long Seq { get; set; }
    public required string Type { get; set; }
    public string? Folder { get; set; }

    /// <summary>The event's JSON body, as the SSE data line and the webhook's "data" carry it.</summary>
    public required string Data { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What the watcher last saw of a folder (CONDSTORE): the next sync fetches only what changed since.</summary>
internal sealed class FolderState
{
    public required string Mailbox { get; set; }
    public required string Folder { get; set; }
    public long UidValidity { get; set; }
    public long UidNext { get; set; }
    public long HighestModSeq { get; set; }
    public int Messages { get; set; }
    public int Unseen { get; set; }
}

internal sealed class Webhook
{
    public long Id { get; set; }
    public long OrganizationId { get; set; }
    public required string Url { get; set; }

    /// <summary>Event types, or "*" for all.</summary>
    public required List<string> Events { get; set; }

    /// <summary>The HMAC key; it has to be readable to sign, so it is never returned by the API.</summary>
    public required string Secret { get; set; }

    public bool Active { get; set; } = true;
    public long CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>One event queued for one webhook: at least once, retried with backoff, until delivered or given up.</summary>
internal sealed class WebhookDelivery
{
    public long Id { get; set; }
    public long WebhookId { get; set; }
    public required string EventId { get; set; }
    public required string EventType { get; set; }

    /// <summary>The exact JSON body POSTed, so every retry is byte-identical and verifies with the same signature scheme.</summary>
    public required string Payload { get; set; }

    public required string Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
}

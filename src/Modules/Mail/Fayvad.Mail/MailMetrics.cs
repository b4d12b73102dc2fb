using System.Diagnostics.Metrics;

namespace Fayvad.Mail;

/// <summary>
/// The Mail module's meter (System.Diagnostics.Metrics; the Host decides where it is exported). Created through the
/// process's IMeterFactory, so each host (and each test host) has its own instruments.
/// </summary>
internal sealed class MailMetrics
{
    public const string MeterName = "Fayvad.Mail";

    public MailMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        SendSubmitted = Meter.CreateCounter<long>("fayvad.mail.send.submitted", "{message}", "Messages the submission server accepted.");
        SendFailed = Meter.CreateCounter<long>("fayvad.mail.send.failed", "{message}", "Sends that failed at the submission server (refused recipient, outage, timeout).");
        SendReplays = Meter.CreateCounter<long>("fayvad.mail.send.idempotent_replays", "{request}", "Sends answered from an earlier one with the same Idempotency-Key.");
        ImapFaults = Meter.CreateCounter<long>("fayvad.mail.imap.pool.faults", "{connection}", "Pooled IMAP connections discarded after a connection fault.");
        PushEvents = Meter.CreateCounter<long>("fayvad.mail.push.events", "{event}", "Mailbox events written to the event log.");
        PushOpenStreams = Meter.CreateUpDownCounter<long>("fayvad.mail.push.open_streams", "{stream}", "Event streams (SSE) open now.");
        WebhooksQueued = Meter.CreateCounter<long>("fayvad.mail.webhooks.queued", "{delivery}", "Webhook deliveries queued.");
        WebhooksDelivered = Meter.CreateCounter<long>("fayvad.mail.webhooks.delivered", "{delivery}", "Webhook deliveries answered 2xx.");
        WebhooksFailed = Meter.CreateCounter<long>("fayvad.mail.webhooks.failed", "{attempt}", "Webhook delivery attempts that failed (final=true when given up).");
    }

    public Meter Meter { get; }
    public Counter<long> SendSubmitted { get; }
    public Counter<long> SendFailed { get; }
    public Counter<long> SendReplays { get; }
    public Counter<long> ImapFaults { get; }
    public Counter<long> PushEvents { get; }
    public UpDownCounter<long> PushOpenStreams { get; }
    public Counter<long> WebhooksQueued { get; }
    public Counter<long> WebhooksDelivered { get; }
    public Counter<long> WebhooksFailed { get; }
}

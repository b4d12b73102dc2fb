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
        MessageFaults = Meter.CreateCounter<long>("fayvad.mail.imap.message_faults", "{message}",
            "Messages that broke a FETCH and were demoted to a lesser plan (each costs one connection, once).");
        FolderOpens = Meter.CreateCounter<long>("fayvad.mail.imap.folder_opens", "{open}",
            "Folders opened for a request on a pooled connection: how=kept (one NOOP, the folder was still selected) or how=selected (SELECT/EXAMINE).");
        PushEvents = Meter.CreateCounter<long>("fayvad.mail.push.events", "{event}", "Mailbox events written to the event log.");
        PushHints = Meter.CreateCounter<long>("fayvad.mail.push.hints", "{hint}", "Dovecot's push hints received (via=udp) or passed on by another node (via=notify).");
        PushPasses = Meter.CreateCounter<long>("fayvad.mail.push.passes", "{pass}", "Sync passes run for watched mailboxes (result=ok|failed).");
        PushLag = Meter.CreateHistogram("fayvad.mail.push.lag", "s", "From a pass being asked for (a hint, a stream starting, the sweep) to its events written.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5, 10, 30] });
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
    public Counter<long> FolderOpens { get; }
    public Counter<long> MessageFaults { get; }
    public Counter<long> PushEvents { get; }
    public Counter<long> PushHints { get; }
    public Counter<long> PushPasses { get; }
    public Histogram<double> PushLag { get; }
    public UpDownCounter<long> PushOpenStreams { get; }
    public Counter<long> WebhooksQueued { get; }
    public Counter<long> WebhooksDelivered { get; }
    public Counter<long> WebhooksFailed { get; }
}

using System.Diagnostics.Metrics;

namespace Fayvad.Sync;

/// <summary>
/// The Sync module's meter. The instruments keep the names they had under the Mail module (fayvad.mail.push.*,
/// fayvad.mail.webhooks.*), so dashboards and alerts read on (docs/adr/0039).
/// </summary>
internal sealed class SyncMetrics
{
    public const string MeterName = "Fayvad.Sync";

    public SyncMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
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
    public Counter<long> PushEvents { get; }
    public Counter<long> PushHints { get; }
    public Counter<long> PushPasses { get; }
    public Histogram<double> PushLag { get; }
    public UpDownCounter<long> PushOpenStreams { get; }
    public Counter<long> WebhooksQueued { get; }
    public Counter<long> WebhooksDelivered { get; }
    public Counter<long> WebhooksFailed { get; }
}

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
    }

    public Meter Meter { get; }
    public Counter<long> SendSubmitted { get; }
    public Counter<long> SendFailed { get; }
    public Counter<long> SendReplays { get; }
    public Counter<long> ImapFaults { get; }
    public Counter<long> FolderOpens { get; }
    public Counter<long> MessageFaults { get; }
}

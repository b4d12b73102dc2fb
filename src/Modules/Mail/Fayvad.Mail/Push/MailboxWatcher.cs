using Fayvad.Mail.Imap;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Fayvad.Mail.Push;

/// <summary>
/// The <c>notify</c> push mode (docs/adr/0008): watches one mailbox, every folder, on one IMAP connection of its own:
/// NOTIFY (RFC 5465) for all personal folders, then IDLE. Whatever the server says during IDLE only triggers a
/// <see cref="MailboxSync"/> pass, so a missed or merged notification cannot lose or double an event. For a mail server
/// whose configuration the project does not own; with Dovecot's push hints, <see cref="HintWatchRegistry"/> needs no
/// connection per mailbox (docs/adr/0021).
/// </summary>
/// <param name="onSynced">Told true when a pass has brought the stored states up to date, false when the watch broke.</param>
internal sealed partial class MailboxWatcher(
    string mailbox, ImapConnector connector, EventLog log, PushOptions options, ILogger logger, Action<bool>? onSynced = null, FetchFaults? faults = null)
{
    private readonly MailboxSync _sync = new(log, options);

    public string Mailbox => mailbox;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        // A message that breaks a pass's FETCH is demoted (docs/adr/0033); the reconnect below asks for it with less.
        FetchFaults.Current = faults is null ? null : new FetchFaults.Scope(faults, mailbox);
        while (!ct.IsCancellationRequested)
        {
            // Ends IDLE shortly after the server says anything but its keep-alive: read off the protocol, because
            // NOTIFY's STATUS for a folder MailKit has not cached raises no MailKit event.
            var trigger = new ServerLines();
            try
            {
                using var client = await connector.ConnectAsync(mailbox, ct, trigger);
                var inbox = client.Inbox;
                if (client.Capabilities.HasFlag(ImapCapabilities.Notify))
                {
                    // Before the first pass, so that nothing changing during it goes unannounced.
                    await client.NotifyAsync(true,
                    [
                        new ImapEventGroup(ImapMailboxFilter.Selected, new ImapEvent.MessageNew(), ImapEvent.MessageExpunge, ImapEvent.FlagChange),
                        new ImapEventGroup(ImapMailboxFilter.Personal, new ImapEvent.MessageNew(), ImapEvent.MessageExpunge, ImapEvent.FlagChange, ImapEvent.MailboxName),
                    ], ct);
                }

                backoff = TimeSpan.FromSeconds(1);
                while (!ct.IsCancellationRequested)
                {
                    // Until a pass finds nothing: a change racing with one pass is caught by the next.
                    SyncPass pass;
                    do
                    {
                        pass = await _sync.PassAsync(mailbox, client, ct);
                    }
                    while (pass.Wrote || pass.MoreToCome);

                    onSynced?.Invoke(true);

                    await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
                    // Mail that arrived between the pass and this EXAMINE is already counted in it and will never be
                    // announced; so is a STATUS the server slipped into a reply. MailKit applied both to its folders.
                    if (!pass.StillCurrent())
                    {
                        continue;
                    }

                    using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    done.CancelAfter(options.IdleRestart);
                    trigger.Arm(line =>
                    {
                        if (line.StartsWith("+ ", StringComparison.Ordinal) || line.StartsWith("* OK", StringComparison.Ordinal))
                        {
                            return true;
                        }

                        try
                        {
                            done.CancelAfter(options.Debounce);
                        }
                        catch (ObjectDisposedException)
                        {
                            // IDLE already ended.
                        }

                        return false;
                    });
                    await client.IdleAsync(done.Token, ct);
                    trigger.Disarm();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                onSynced?.Invoke(false);
                // A background loop: whatever broke (server, database, a folder deleted mid-pass), reconnect and resync.
                LogWatchFailed(logger, ex, mailbox, backoff.TotalSeconds);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromSeconds(Math.Min(30, backoff.TotalSeconds * 2));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching {Mailbox} failed; retrying in {Seconds} s")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, string mailbox, double seconds);
}

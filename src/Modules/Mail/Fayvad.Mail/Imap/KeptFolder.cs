using MailKit;
using MailKit.Net.Imap;

namespace Fayvad.Mail.Imap;

/// <summary>
/// The folder a pooled connection keeps selected between requests (docs/adr/0020). The next request in the same folder
/// sends one NOOP instead of EXAMINE: the NOOP makes the server report what other sessions changed (EXISTS, EXPUNGE or
/// VANISHED, FETCH FLAGS/MODSEQ, HIGHESTMODSEQ, UIDVALIDITY), and MailKit applies it to the folder. Any such report, at
/// any time since the folder was selected, marks it changed, and a changed folder is selected again, so its count, UIDNEXT
/// and HIGHESTMODSEQ are always those a fresh EXAMINE would give. A folder deleted or recreated under a selected session
/// ends that session (Dovecot sends BYE); the pool then retries the request on a new connection.
/// MailKit raises CountChanged for every MESSAGES it reads, also a LIST-STATUS repeating the same count (the folder list
/// on this connection): count, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ events count as a change only when the value moved.
/// </summary>
internal sealed class KeptFolder(ServerLines? lines, Action<bool>? opened)
{
    private IMailFolder? _folder;
    private bool _changed;
    private (int Count, uint UidValidity, uint? UidNext, ulong HighestModSeq) _selected;

    /// <summary>The folder this connection has selected and still keeps, or null.</summary>
    public IMailFolder? Current => _folder is { IsOpen: true } folder ? folder : null;

    /// <summary>
    /// Opens <paramref name="folder"/> for this request: a NOOP when the connection keeps it and nothing changed, else
    /// SELECT/EXAMINE. Without an ear on the protocol log (<paramref name="lines"/>) a NOOP cannot be trusted, so
    /// every open selects. <paramref name="opened"/> hears each open: true when the kept folder served it.
    /// </summary>
    public async Task OpenAsync(ImapClient client, IMailFolder folder, FolderAccess access, CancellationToken cancellationToken)
    {
        // A folder selected read-write serves a read-only request too: reads use BODY.PEEK and never set \Seen.
        if (ReferenceEquals(_folder, folder) && folder.IsOpen && !_changed
            && (access == FolderAccess.ReadOnly || folder.Access == FolderAccess.ReadWrite))
        {
            // Dovecot answers a NOOP on a folder deleted and recreated under it with an untagged NO and nothing MailKit
            // sees; only a fresh SELECT shows the new UIDVALIDITY.
            var complained = lines is null;
            lines?.Arm(line =>
            {
                complained |= line.StartsWith("* NO", StringComparison.Ordinal) || line.StartsWith("* BYE", StringComparison.Ordinal);
                return true;
            });
            await client.NoOpAsync(cancellationToken);
            lines?.Disarm();
            if (!_changed && folder.IsOpen && !complained)
            {
                opened?.Invoke(true);
                return;
            }
        }

        Track(folder);
        await folder.OpenAsync(access, cancellationToken);
        opened?.Invoke(false);
        // What the SELECT itself reported is the fresh state, not a change since.
        _selected = StateOf(folder);
        _changed = false;
    }

    private void Track(IMailFolder folder)
    {
        if (ReferenceEquals(_folder, folder))
        {
            return;
        }

        if (_folder is { } previous)
        {
            Subscribe(previous, false);
        }

        _folder = folder;
        Subscribe(folder, true);
    }

    private void Subscribe(IMailFolder folder, bool on)
    {
        if (on)
        {
            folder.CountChanged += OnStateReported;
            folder.UidValidityChanged += OnStateReported;
            folder.UidNextChanged += OnStateReported;
            folder.HighestModSeqChanged += OnStateReported;
            folder.MessageExpunged += OnChanged;
            folder.MessagesVanished += OnChanged;
            folder.MessageFlagsChanged += OnChanged;
            folder.MessageLabelsChanged += OnChanged;
            folder.ModSeqChanged += OnChanged;
            folder.Deleted += OnChanged;
            folder.Renamed += OnChanged;
            folder.Closed += OnChanged;
        }
        else
        {
            folder.CountChanged -= OnStateReported;
            folder.UidValidityChanged -= OnStateReported;
            folder.UidNextChanged -= OnStateReported;
            folder.HighestModSeqChanged -= OnStateReported;
            folder.MessageExpunged -= OnChanged;
            folder.MessagesVanished -= OnChanged;
            folder.MessageFlagsChanged -= OnChanged;
            folder.MessageLabelsChanged -= OnChanged;
            folder.ModSeqChanged -= OnChanged;
            folder.Deleted -= OnChanged;
            folder.Renamed -= OnChanged;
            folder.Closed -= OnChanged;
        }
    }

    private static (int, uint, uint?, ulong) StateOf(IMailFolder folder) =>
        (folder.Count, folder.UidValidity, folder.UidNext?.Id, folder.HighestModSeq);

    private void OnChanged(object? sender, EventArgs e) => _changed = true;

    private void OnStateReported(object? sender, EventArgs e)
    {
        if (sender is IMailFolder folder && StateOf(folder) != _selected)
        {
            _changed = true;
        }
    }
}

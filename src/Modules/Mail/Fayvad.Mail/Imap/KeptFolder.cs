using System.Runtime.CompilerServices;
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
/// </summary>
internal sealed class KeptFolder
{
    private static readonly ConditionalWeakTable<ImapClient, KeptFolder> Connections = new();
    private static readonly ConditionalWeakTable<ImapClient, ServerComplaints> Complaints = new();

    /// <summary>A protocol logger for a new pooled connection; <see cref="Listen"/> ties it to the client once made.</summary>
    public static IProtocolLogger NewListener() => new ServerComplaints();

    public static void Listen(ImapClient client, IProtocolLogger listener)
    {
        if (listener is ServerComplaints complaints)
        {
            Complaints.AddOrUpdate(client, complaints);
        }
    }

    private IMailFolder? _folder;
    private bool _changed;

    /// <summary>The folder this connection has selected and still keeps, or null.</summary>
    public static IMailFolder? Of(ImapClient client) =>
        Connections.TryGetValue(client, out var kept) && kept._folder is { IsOpen: true } folder ? folder : null;

    /// <summary>Opens <paramref name="folder"/> for this request: a NOOP when the connection keeps it and nothing changed, else SELECT/EXAMINE.</summary>
    public static async Task OpenAsync(ImapClient client, IMailFolder folder, FolderAccess access, CancellationToken cancellationToken)
    {
        var kept = Connections.GetValue(client, _ => new KeptFolder());
        // A folder selected read-write serves a read-only request too: reads use BODY.PEEK and never set \Seen.
        if (ReferenceEquals(kept._folder, folder) && folder.IsOpen && !kept._changed
            && (access == FolderAccess.ReadOnly || folder.Access == FolderAccess.ReadWrite))
        {
            var complaints = Complaints.TryGetValue(client, out var listener) ? listener : null;
            complaints?.Arm();
            await client.NoOpAsync(cancellationToken);
            // Dovecot answers a NOOP on a folder deleted and recreated under it with an untagged NO and nothing MailKit
            // sees; only a fresh SELECT shows the new UIDVALIDITY. A connection without a listener never keeps a folder.
            var complained = complaints is null || complaints.Disarm();
            if (!kept._changed && folder.IsOpen && !complained)
            {
                return;
            }
        }

        kept.Track(folder);
        await folder.OpenAsync(access, cancellationToken);
        // What the SELECT itself reported is the fresh state, not a change since.
        kept._changed = false;
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
            folder.CountChanged += OnChanged;
            folder.UidValidityChanged += OnChanged;
            folder.UidNextChanged += OnChanged;
            folder.HighestModSeqChanged += OnChanged;
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
            folder.CountChanged -= OnChanged;
            folder.UidValidityChanged -= OnChanged;
            folder.UidNextChanged -= OnChanged;
            folder.HighestModSeqChanged -= OnChanged;
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

    private void OnChanged(object? sender, EventArgs e) => _changed = true;

    /// <summary>Hears, while armed (one NOOP), whether the server said an untagged NO or BYE.</summary>
    private sealed class ServerComplaints : IProtocolLogger
    {
        private volatile bool _armed;
        private volatile bool _heard;

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        public void Arm()
        {
            _heard = false;
            _armed = true;
        }

        public bool Disarm()
        {
            _armed = false;
            return _heard;
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            if (!_armed)
            {
                return;
            }

            var text = System.Text.Encoding.ASCII.GetString(buffer, offset, count);
            if (text.StartsWith("* NO", StringComparison.Ordinal) || text.StartsWith("* BYE", StringComparison.Ordinal)
                || text.Contains("\n* NO", StringComparison.Ordinal) || text.Contains("\n* BYE", StringComparison.Ordinal))
            {
                _heard = true;
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
        }

        public void LogConnect(Uri uri)
        {
        }

        public void Dispose()
        {
        }
    }
}

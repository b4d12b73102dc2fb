using System.Text;
using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Fayvad.Mail.Push;

/// <summary>
/// Watches one mailbox, every folder, on one IMAP connection: NOTIFY (RFC 5465) for all personal folders, then IDLE.
/// Whatever the server says during IDLE only triggers a sync pass: one LIST-STATUS for all folders, compared with the
/// folder states in PostgreSQL, and a CONDSTORE/QRESYNC delta of each folder that moved. The events come from those
/// deltas, never from the notification's content, so a missed or merged notification cannot lose or double one.
/// </summary>
/// <param name="onSynced">Told true when a pass has brought the stored states up to date, false when the watch broke.</param>
internal sealed partial class MailboxWatcher(
    string mailbox, ImapConnector connector, EventLog log, PushOptions options, ILogger logger, Action<bool>? onSynced = null)
{
    private const StatusItems FolderStatus = StatusItems.Count | StatusItems.Unread | StatusItems.UidNext | StatusItems.UidValidity | StatusItems.HighestModSeq;

    /// <summary>New messages reported per folder per pass; the rest follow in the next pass.</summary>
    private const int MaxNewPerPass = 200;

    public string Mailbox => mailbox;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            var trigger = new IdleTrigger();
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
                    Pass pass;
                    do
                    {
                        pass = await PassAsync(client, ct);
                    }
                    while (pass.Wrote);

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
                    trigger.Arm(done, options.Debounce);
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

    /// <summary>One sync of every folder; <see cref="Pass.Wrote"/> when it wrote anything (so another pass should confirm quiet).</summary>
    private async Task<Pass> PassAsync(ImapClient client, CancellationToken ct)
    {
        while (true)
        {
            // The registry created the stream row before taking the lease.
            var (lastSeq, syncedAt) = await log.PositionAsync(mailbox, ct);
            var stored = await log.LoadStatesAsync(mailbox, ct);
            var folders = (await client.GetFoldersAsync(client.PersonalNamespaces[0], FolderStatus, false, ct))
                .Where(f => f.Exists && !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent))
                .ToList();
            var plan = new SyncPlan();
            if (syncedAt is null || DateTimeOffset.UtcNow - syncedAt > options.Retention)
            {
                // First watch, or unwatched longer than the log is kept: record where things stand; say "reload" once.
                if (syncedAt is not null)
                {
                    plan.Events.Add(new PendingEvent(MailEventTypes.Reset, null, new ResetData("Changes were not tracked for a while; reload.")));
                }

                plan.States.AddRange(folders.Select(f => StateOf(f, f.UidNext?.Id ?? 0, f.HighestModSeq)));
                plan.Removed.AddRange(stored.Keys.Except(folders.Select(f => f.FullName), StringComparer.Ordinal));
            }
            else
            {
                await DiffAsync(folders, stored, plan, ct);
            }

            var wrote = plan.Events.Count > 0 || plan.States.Count > 0 || plan.Removed.Count > 0;
            if (!wrote || await log.CommitAsync(mailbox, lastSeq, plan.Events, plan.States, plan.Removed, ct))
            {
                foreach (var state in plan.States)
                {
                    stored[state.Folder] = state;
                }

                return new Pass(wrote || plan.MoreToCome, folders, stored);
            }

            // Another writer got there first (a lease handover): start again from what it stored.
        }
    }

    private async Task DiffAsync(List<IMailFolder> folders, Dictionary<string, FolderState> stored, SyncPlan plan, CancellationToken ct)
    {
        var current = folders.ToDictionary(f => f.FullName, StringComparer.Ordinal);
        var fresh = current.Keys.Where(k => !stored.ContainsKey(k)).ToList();
        var baseline = new Dictionary<string, FolderState>(stored, StringComparer.Ordinal);
        foreach (var gone in stored.Keys.Where(k => !current.ContainsKey(k)).ToList())
        {
            plan.Removed.Add(gone);
            baseline.Remove(gone);
            // Dovecot keeps a folder's UIDVALIDITY across RENAME: a folder that vanished as one with its UIDVALIDITY appeared moved.
            var renamedTo = fresh.Where(f => current[f].UidValidity == stored[gone].UidValidity).ToList();
            if (renamedTo.Count == 1)
            {
                fresh.Remove(renamedTo[0]);
                plan.Events.Add(new PendingEvent(MailEventTypes.FolderRenamed, renamedTo[0], new FolderChangeData(renamedTo[0], gone)));
                baseline[renamedTo[0]] = stored[gone];
                plan.States.Add(stored[gone].With(renamedTo[0]));
            }
            else
            {
                plan.Events.Add(new PendingEvent(MailEventTypes.FolderDeleted, gone, new FolderChangeData(gone)));
            }
        }

        foreach (var name in fresh)
        {
            plan.Events.Add(new PendingEvent(MailEventTypes.FolderCreated, name, new FolderChangeData(name)));
        }

        foreach (var folder in folders)
        {
            var before = baseline.GetValueOrDefault(folder.FullName);
            if (before is not null && before.UidValidity != folder.UidValidity)
            {
                // Deleted and created again under the same name: every old id is dead.
                plan.Events.Add(new PendingEvent(MailEventTypes.FolderDeleted, folder.FullName, new FolderChangeData(folder.FullName)));
                plan.Events.Add(new PendingEvent(MailEventTypes.FolderCreated, folder.FullName, new FolderChangeData(folder.FullName)));
                before = null;
            }

            before ??= new FolderState { Mailbox = mailbox, Folder = folder.FullName, UidValidity = folder.UidValidity, UidNext = 1 };
            if ((ulong)before.HighestModSeq == folder.HighestModSeq && before.UidNext == (folder.UidNext?.Id ?? 0)
                && before.Messages == folder.Count && before.Unseen == folder.Unread)
            {
                continue;
            }

            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            var delta = await FolderDeltas.SinceAsync(folder, (uint)before.UidNext, (ulong)before.HighestModSeq, MaxNewPerPass, ct);
            foreach (var uid in delta.Vanished)
            {
                var id = MessageIds.Encode(folder.FullName, folder.UidValidity, uid.Id);
                plan.Events.Add(new PendingEvent(MailEventTypes.MessageDeleted, folder.FullName, new MessageDeletedData(folder.FullName, id)));
            }

            foreach (var summary in delta.Updated)
            {
                var flags = MessageMapper.FlagsOf(summary, folder.FullName, folder.UidValidity);
                plan.Events.Add(new PendingEvent(MailEventTypes.MessageUpdated, folder.FullName,
                    new MessageUpdatedData(folder.FullName, flags.Id, flags.IsRead, flags.IsStarred, flags.Flags)));
            }

            foreach (var summary in delta.Created)
            {
                var dto = MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, null, null);
                plan.Events.Add(new PendingEvent(MailEventTypes.MessageNew, folder.FullName, new MessageNewData(folder.FullName, dto.Id, dto)));
            }

            if (before.Messages != folder.Count || before.Unseen != folder.Unread)
            {
                plan.Events.Add(new PendingEvent(MailEventTypes.FolderCounts, folder.FullName, new FolderCountsData(folder.FullName, folder.Unread, folder.Count)));
            }

            plan.States.RemoveAll(s => s.Folder == folder.FullName);
            plan.States.Add(StateOf(folder, delta.UidNext, delta.HighestModSeq));
            plan.MoreToCome |= delta.HasMore;
        }
    }

    private FolderState StateOf(IMailFolder folder, uint uidNext, ulong modSeq) => new()
    {
        Mailbox = mailbox, Folder = folder.FullName, UidValidity = folder.UidValidity, UidNext = uidNext,
        HighestModSeq = (long)modSeq, Messages = folder.Count, Unseen = folder.Unread,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching {Mailbox} failed; retrying in {Seconds} s")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, string mailbox, double seconds);

    /// <summary>The folders as a pass saw them and the states it left in PostgreSQL.</summary>
    private sealed record Pass(bool Wrote, List<IMailFolder> Folders, Dictionary<string, FolderState> States)
    {
        /// <summary>Whether every folder, as MailKit knows it now, still matches the stored state.</summary>
        public bool StillCurrent() => Folders.All(f =>
            States.TryGetValue(f.FullName, out var s)
            && (ulong)s.HighestModSeq == f.HighestModSeq && s.UidNext == (f.UidNext?.Id ?? 0) && s.Messages == f.Count);
    }

    private sealed class SyncPlan
    {
        public List<PendingEvent> Events { get; } = [];
        public List<FolderState> States { get; } = [];
        public List<string> Removed { get; } = [];
        public bool MoreToCome { get; set; }
    }

    /// <summary>
    /// Ends IDLE shortly after the server says anything but its keep-alive. Read through MailKit's protocol logger
    /// because NOTIFY's STATUS for a folder MailKit has not cached raises no MailKit event.
    /// </summary>
    private sealed class IdleTrigger : IProtocolLogger
    {
        private CancellationTokenSource? _done;
        private TimeSpan _debounce;

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        public void Arm(CancellationTokenSource done, TimeSpan debounce)
        {
            _debounce = debounce;
            Volatile.Write(ref _done, done);
        }

        public void Disarm() => Volatile.Write(ref _done, null);

        public void LogServer(byte[] buffer, int offset, int count)
        {
            if (Volatile.Read(ref _done) is not { } done)
            {
                return;
            }

            var text = Encoding.ASCII.GetString(buffer, offset, count);
            foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            {
                if (!line.StartsWith("+ ", StringComparison.Ordinal) && !line.StartsWith("* OK", StringComparison.Ordinal))
                {
                    Disarm();
                    try
                    {
                        done.CancelAfter(_debounce);
                    }
                    catch (ObjectDisposedException)
                    {
                        // IDLE already ended.
                    }

                    return;
                }
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

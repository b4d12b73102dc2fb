using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using MailKit;
using MailKit.Net.Imap;

namespace Fayvad.Mail.Push;

/// <summary>
/// One sync pass of a mailbox, every folder, on a connection it is lent (the watcher's own, or a pooled one): one
/// LIST-STATUS for all folders, compared with the folder states in PostgreSQL, and a CONDSTORE/QRESYNC delta of each
/// folder that moved. The events come from those deltas, never from what triggered the pass, so a missed, merged or
/// duplicated trigger (IDLE notification, push hint, sweep) costs latency, never an event (docs/adr/0008, 0021).
/// </summary>
internal sealed class MailboxSync(EventLog log, PushOptions options)
{
    private const StatusItems FolderStatus = StatusItems.Count | StatusItems.Unread | StatusItems.UidNext | StatusItems.UidValidity | StatusItems.HighestModSeq;

    /// <summary>New messages reported per folder per pass; the rest follow in the next pass.</summary>
    private const int MaxNewPerPass = 200;

    /// <summary>One sync of every folder; <see cref="SyncPass.Wrote"/> when it wrote anything (so another pass should confirm quiet).</summary>
    public async Task<SyncPass> PassAsync(string mailbox, ImapClient client, CancellationToken ct)
    {
        while (true)
        {
            // A lent connection may have a folder selected, and Dovecot answers STATUS of the selected folder from the
            // session's own view, which only a sync moves on: without this, others' changes there would stay unseen.
            await client.NoOpAsync(ct);
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

                plan.States.AddRange(folders.Select(f => StateOf(mailbox, f, f.UidNext?.Id ?? 0, f.HighestModSeq)));
                plan.Removed.AddRange(stored.Keys.Except(folders.Select(f => f.FullName), StringComparer.Ordinal));
            }
            else
            {
                await DiffAsync(mailbox, folders, stored, plan, ct);
            }

            var wrote = plan.Events.Count > 0 || plan.States.Count > 0 || plan.Removed.Count > 0;
            if (!wrote || await log.CommitAsync(mailbox, lastSeq, plan.Events, plan.States, plan.Removed, ct))
            {
                foreach (var state in plan.States)
                {
                    stored[state.Folder] = state;
                }

                foreach (var gone in plan.Removed)
                {
                    stored.Remove(gone);
                }

                return new SyncPass(wrote, plan.MoreToCome, folders, stored);
            }

            // Another writer got there first (a lease handover): start again from what it stored.
        }
    }

    private static async Task DiffAsync(string mailbox, List<IMailFolder> folders, Dictionary<string, FolderState> stored, SyncPlan plan, CancellationToken ct)
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
            plan.States.Add(StateOf(mailbox, folder, delta.UidNext, delta.HighestModSeq));
            plan.MoreToCome |= delta.HasMore;
        }
    }

    private static FolderState StateOf(string mailbox, IMailFolder folder, uint uidNext, ulong modSeq) => new()
    {
        Mailbox = mailbox, Folder = folder.FullName, UidValidity = folder.UidValidity, UidNext = uidNext,
        HighestModSeq = (long)modSeq, Messages = folder.Count, Unseen = folder.Unread,
    };

    private sealed class SyncPlan
    {
        public List<PendingEvent> Events { get; } = [];
        public List<FolderState> States { get; } = [];
        public List<string> Removed { get; } = [];
        public bool MoreToCome { get; set; }
    }
}

/// <summary>What a pass saw and left: whether it wrote, whether a folder has more new mail than one pass reports.</summary>
internal sealed record SyncPass(bool Wrote, bool MoreToCome, List<IMailFolder> Folders, Dictionary<string, FolderState> States)
{
    /// <summary>Whether every folder, as MailKit knows it now, still matches the stored state.</summary>
    public bool StillCurrent() => Folders.All(f =>
        States.TryGetValue(f.FullName, out var s)
        && (ulong)s.HighestModSeq == f.HighestModSeq && s.UidNext == (f.UidNext?.Id ?? 0) && s.Messages == f.Count);
}

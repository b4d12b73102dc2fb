using Fayvad.Mail.Contracts;
using Fayvad.Sync.Log;

namespace Fayvad.Sync.Watch;

/// <summary>
/// One sync pass of a mailbox: the Mail module compares every folder with the marks of the last pass
/// (<see cref="IMailboxChanges"/>), and what it found is written to the log with the new marks in one transaction.
/// The events come from that comparison, never from what asked for the pass, so a missed, merged or duplicated ask
/// (push hint, stream start, sweep) costs latency, never an event (docs/adr/0008, 0021).
/// </summary>
internal sealed class MailboxSync(EventLog log, FolderStates states, IMailboxChanges changes, PushOptions options)
{
    public async Task<SyncPass> PassAsync(string mailbox, CancellationToken ct)
    {
        using var activity = SyncTracing.Source.StartActivity("sync pass");
        while (true)
        {
            // The registry created the stream row before taking the lease.
            var (lastSeq, syncedAt) = await log.PositionAsync(mailbox, ct);
            var stored = await states.LoadAsync(mailbox, ct);
            // First watch, or unwatched longer than the log is kept: record where things stand; say "reload" once.
            var baseline = syncedAt is null || DateTimeOffset.UtcNow - syncedAt > options.Retention;
            var delta = await changes.CompareAsync(mailbox, stored, baseline, ct);
            IReadOnlyList<MailChange> events = baseline && syncedAt is not null
                ? [new MailChange(MailEventTypes.Reset, null, new ResetData("Changes were not tracked for a while; reload.")), .. delta.Changes]
                : delta.Changes;
            var wrote = events.Count > 0 || delta.Marks.Count > 0 || delta.Removed.Count > 0;
            if (!wrote || await log.CommitAsync(mailbox, lastSeq, events, delta.Marks, delta.Removed, ct))
            {
                activity?.SetTag("fayvad.sync.events", events.Count);
                return new SyncPass(wrote, delta.MoreToCome);
            }

            // Another writer got there first (a lease handover): start again from what it stored.
        }
    }
}

/// <summary>What a pass did: whether it wrote, whether a folder has more new mail than one pass reports.</summary>
internal sealed record SyncPass(bool Wrote, bool MoreToCome);

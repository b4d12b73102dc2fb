using Fayvad.Mail.Contracts;
using Fayvad.Sync.Log;
using Microsoft.Extensions.Logging;

namespace Fayvad.Sync.Watch;

/// <summary>
/// The repair for lost hints: every held mailbox is looked at once per <see cref="PushOptions.SweepInterval"/>, spread
/// over it. With doveadm configured, one request tells the status of up to <see cref="Batch"/> mailboxes and only those
/// that differ from the stored states get a pass; without it, or when that request fails, each due mailbox gets one.
/// </summary>
internal sealed partial class Sweep(IMailboxChanges changes, FolderStates states, PushOptions options, ILogger logger)
{
    /// <summary>Mailboxes per doveadm request.</summary>
    public const int Batch = 100;

    /// <summary>When a mailbox just leased here is first swept: at random over one interval, so sweeps spread out.</summary>
    public long FirstSweepAt(long now) => now + Random.Shared.NextInt64((long)options.SweepInterval.TotalMilliseconds);

    public async Task RoundAsync(IEnumerable<WatchEntry> held, Action<WatchEntry> requestPass, CancellationToken ct)
    {
        var now = Environment.TickCount64;
        var due = held.Where(e => e.Leased && e.NextSweep <= now).ToList();
        if (due.Count == 0)
        {
            return;
        }

        var interval = (long)options.SweepInterval.TotalMilliseconds;
        foreach (var entry in due)
        {
            entry.NextSweep = now + interval;
        }

        foreach (var batch in due.Chunk(Batch))
        {
            IEnumerable<WatchEntry> stale = batch;
            if (changes.CanReadManyMarks)
            {
                try
                {
                    stale = await StaleAsync(batch, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogSweepCheckFailed(logger, ex);
                }
            }

            foreach (var entry in stale)
            {
                requestPass(entry);
            }
        }
    }

    /// <summary>The mailboxes whose folders, as the mail server reports them, differ from the stored marks.</summary>
    private async Task<List<WatchEntry>> StaleAsync(WatchEntry[] batch, CancellationToken ct)
    {
        var now = await changes.MarksAsync(batch.Select(e => e.Mailbox).ToList(), ct);
        var stored = await states.LoadAsync(batch.Select(e => e.Mailbox).ToList(), ct);
        var stale = new List<WatchEntry>();
        for (var i = 0; i < batch.Length; i++)
        {
            var marks = stored.GetValueOrDefault(batch[i].Mailbox) ?? [];
            // Records compare by value: a folder whose five numbers all match is unchanged.
            if (now[i] is not { } current || current.Count != marks.Count || !current.All(m => marks.GetValueOrDefault(m.Folder) == m))
            {
                stale.Add(batch[i]);
            }
        }

        return stale;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep could not ask doveadm for mailbox status; passing every due mailbox")]
    private static partial void LogSweepCheckFailed(ILogger logger, Exception exception);
}

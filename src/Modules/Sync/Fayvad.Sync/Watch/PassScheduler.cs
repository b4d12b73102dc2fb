using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Fayvad.Sync.Watch;

/// <summary>
/// Runs <see cref="MailboxSync"/> passes: at most one running and one pending per mailbox (asks arriving meanwhile
/// merge into the pending one), at most <see cref="PushOptions.MaxConcurrentPasses"/> at once on this node, and a
/// failed pass retried with a growing backoff until one succeeds. The push lag is timed from the oldest ask a pass serves.
/// </summary>
internal sealed partial class PassScheduler(MailboxSync sync, PushOptions options, SyncMetrics metrics, ILogger logger, CancellationToken stopping)
    : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentPasses, options.MaxConcurrentPasses);
    private long _passes;

    /// <summary>Passes run on this node: for tests and the bench.</summary>
    public long PassesRun => Interlocked.Read(ref _passes);

    public void Request(WatchEntry entry)
    {
        lock (entry)
        {
            if (entry.AskedAt == 0)
            {
                entry.AskedAt = Stopwatch.GetTimestamp();
            }

            if (entry.Running)
            {
                entry.Pending = true;
                return;
            }

            entry.Running = true;
            entry.Pending = false;
        }

        _ = Task.Run(() => RunAsync(entry));
    }

    private async Task RunAsync(WatchEntry entry)
    {
        var ct = stopping;
        var backoff = TimeSpan.Zero;
        try
        {
            while (!ct.IsCancellationRequested && entry.Leased)
            {
                await _slots.WaitAsync(ct);
                long askedAt;
                lock (entry)
                {
                    // Asks arriving from here on are served by the next pass and timed from their own moment.
                    askedAt = entry.AskedAt;
                    entry.AskedAt = 0;
                }

                try
                {
                    var pass = await sync.PassAsync(entry.Mailbox, ct);
                    Interlocked.Increment(ref _passes);
                    metrics.PushPasses.Add(1, new KeyValuePair<string, object?>("result", "ok"));
                    if (askedAt != 0)
                    {
                        metrics.PushLag.Record(Stopwatch.GetElapsedTime(askedAt).TotalSeconds);
                    }

                    entry.Synced = true;
                    backoff = TimeSpan.Zero;
                    if (pass.MoreToCome)
                    {
                        lock (entry)
                        {
                            entry.Pending = true;
                        }
                    }
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // IMAP or PostgreSQL down, a folder deleted mid-pass: try again, later each time.
                    metrics.PushPasses.Add(1, new KeyValuePair<string, object?>("result", "failed"));
                    entry.Synced = false;
                    backoff = TimeSpan.FromSeconds(Math.Clamp(backoff.TotalSeconds * 2, 1, 30));
                    LogPassFailed(logger, ex, entry.Mailbox, backoff.TotalSeconds);
                    lock (entry)
                    {
                        entry.Pending = true;
                        // The lag runs on from the first ask until a pass succeeds.
                        if (askedAt != 0 && (entry.AskedAt == 0 || askedAt < entry.AskedAt))
                        {
                            entry.AskedAt = askedAt;
                        }
                    }
                }
                finally
                {
                    _slots.Release();
                }

                if (backoff > TimeSpan.Zero)
                {
                    await Task.Delay(backoff, ct);
                }

                lock (entry)
                {
                    if (!entry.Pending)
                    {
                        entry.Running = false;
                        return;
                    }

                    entry.Pending = false;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        lock (entry)
        {
            entry.Running = false;
        }
    }

    public void Dispose() => _slots.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync pass of {Mailbox} failed; retrying in {Seconds} s")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string mailbox, double seconds);
}

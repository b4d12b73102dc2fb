namespace Fayvad.Sync.Watch;

/// <summary>A mailbox this node wants watched, with where its lease, its sweep and its passes stand.</summary>
internal sealed class WatchEntry(string mailbox, Lock gate) : WantedMailbox(mailbox, gate)
{
    public bool StreamReady { get; set; }
    public long NextLeaseTry { get; set; }
    public long NextSweep { get; set; }

    /// <summary>A pass runs now. Guarded by lock(entry), as are the two below.</summary>
    public bool Running { get; set; }

    /// <summary>Another pass is wanted after the running one.</summary>
    public bool Pending { get; set; }

    /// <summary>When the oldest ask not yet served by a pass came (Stopwatch timestamp), 0 for none.</summary>
    public long AskedAt { get; set; }
}

namespace Fayvad.Sync.Watch;

/// <summary>
/// A mailbox that listeners on this node want watched, as the registry counts them: handles (an event stream, a
/// webhook scope) until disposed, and a hold until a time (a polling check-new). Counts change under the registry's
/// gate, which also guards its table, so a mailbox is never dropped from it while it gains a handle.
/// </summary>
internal abstract class WantedMailbox(string mailbox, Lock gate)
{
    private int _references;
    private long _releasedAt;
    private long _heldUntil;
    private volatile bool _leased;
    private volatile bool _synced;

    public string Mailbox { get; } = mailbox;

    /// <summary>The organization of the first caller that named one (for the mailbox's event stream).</summary>
    public long? OrganizationId { get; private set; }

    /// <summary>This node holds the mailbox's watch lease and watches it.</summary>
    public bool Leased { get => _leased; set => _leased = value; }

    /// <summary>A sync pass has completed since this node began to watch: the stored states are current.</summary>
    public bool Synced { get => _synced; set => _synced = value; }

    /// <summary>This node's name in the watch leases: the configured one, else machine, process and a random tail.</summary>
    public static string NodeIdOf(PushOptions options) => options.NodeId is { Length: > 0 } node
        ? node
        : $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Wanted for at least <paramref name="duration"/> from now. The caller holds the gate.</summary>
    public void HoldFor(long? organizationId, TimeSpan duration)
    {
        OrganizationId ??= organizationId;
        _heldUntil = Math.Max(_heldUntil, Environment.TickCount64 + (long)duration.TotalMilliseconds);
    }

    /// <summary>Wanted until the handle is disposed (the first dispose counts, any later one does nothing). The caller holds the gate.</summary>
    public IDisposable Reference(long? organizationId)
    {
        OrganizationId ??= organizationId;
        _references++;
        return new Handle(this);
    }

    /// <summary>A handle is out or the hold still runs. The caller holds the gate.</summary>
    public bool Wanted(long now) => _references > 0 || now < _heldUntil;

    /// <summary>No handle, the last one released at least <paramref name="linger"/> ago, and the hold run out. The caller holds the gate.</summary>
    public bool Unwanted(long now, TimeSpan linger) =>
        _references == 0 && now - _releasedAt >= linger.TotalMilliseconds && now >= _heldUntil;

    private void Release()
    {
        lock (gate)
        {
            _references--;
            _releasedAt = Environment.TickCount64;
        }
    }

    private sealed class Handle(WantedMailbox mailbox) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                mailbox.Release();
            }
        }
    }
}

using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Streams;

/// <summary>
/// One timer for the heartbeats of every open event stream on this node: the streams sit in <see cref="Slots"/> slots
/// and each tick (Heartbeat / Slots) beats one slot, so every stream hears a beat once per Heartbeat and the work is
/// spread evenly over it instead of one timer per stream.
/// </summary>
internal sealed class HeartbeatWheel : IDisposable
{
    public const int Slots = 16;

    private readonly HashSet<StreamWake>[] _slots = Enumerable.Range(0, Slots).Select(_ => new HashSet<StreamWake>()).ToArray();
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private int _current;

    public HeartbeatWheel(IOptions<PushOptions> options)
    {
        var tick = options.Value.Heartbeat / Slots;
        _timer = new Timer(_ => Turn(), null, tick, tick);
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _slots.Sum(s => s.Count);
            }
        }
    }

    /// <summary>The first beat comes one Heartbeat from now (the slot just passed), give or take a tick.</summary>
    public void Add(StreamWake wake)
    {
        lock (_gate)
        {
            wake.Slot = _current;
            _slots[_current].Add(wake);
        }
    }

    public void Remove(StreamWake wake)
    {
        lock (_gate)
        {
            if (wake.Slot >= 0)
            {
                _slots[wake.Slot].Remove(wake);
                wake.Slot = -1;
            }
        }
    }

    private void Turn()
    {
        lock (_gate)
        {
            _current = (_current + 1) % Slots;
            // Beat only sets a flag and completes a read: the streams continue on the thread pool, not under this lock.
            foreach (var wake in _slots[_current])
            {
                wake.Beat();
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}

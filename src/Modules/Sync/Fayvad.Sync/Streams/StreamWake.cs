using System.Threading.Tasks.Sources;
using Fayvad.Sync.Log;

namespace Fayvad.Sync.Streams;

/// <summary>
/// What an open event stream waits on: "the mailbox's log grew" (<see cref="EventSignals"/>) and "time for a heartbeat"
/// (<see cref="HeartbeatWheel"/>). Both set a flag and wake the one reader; no timer, task or token source of its own,
/// so an idle stream is this object and a parked continuation. The wait is this object itself (a reusable value task
/// source): a channel kept four operation objects and a queue per stream for what is one waiter and two bits
/// (docs/adr/0028).
/// </summary>
internal sealed class StreamWake : IValueTaskSource<(bool Data, bool Beat)>
{
    private const int DataFlag = 1;
    private const int BeatFlag = 2;

    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private int _pending;
    private bool _waiting;

    /// <summary>The heartbeat wheel's slot this stream is in (set by <see cref="HeartbeatWheel"/>).</summary>
    internal int Slot { get; set; } = -1;

    public void Data() => Raise(DataFlag);

    public void Beat() => Raise(BeatFlag);

    /// <summary>Until something is pending; then what it was, cleared. One waiter at a time.</summary>
    public ValueTask<(bool Data, bool Beat)> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_pending != 0)
            {
                var pending = _pending;
                _pending = 0;
                return new ValueTask<(bool, bool)>(Decode(pending));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<(bool, bool)>(cancellationToken);
            }

            _core.Reset();
            _waiting = true;
            // Under the lock, so that no Raise completes this wait before its registration is known to GetResult. A token
            // cancelled meanwhile runs Cancel here, on this thread (the lock is reentrant).
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((StreamWake)state!).Cancel(token), this);
            return new ValueTask<(bool, bool)>(this, _core.Version);
        }
    }

    private void Raise(int flag)
    {
        int wake;
        lock (_gate)
        {
            _pending |= flag;
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            wake = _pending;
            _pending = 0;
        }

        _core.SetResult(wake);
    }

    private void Cancel(CancellationToken token)
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _core.SetException(new OperationCanceledException(token));
    }

    private static (bool Data, bool Beat) Decode(int pending) => ((pending & DataFlag) != 0, (pending & BeatFlag) != 0);

    (bool Data, bool Beat) IValueTaskSource<(bool Data, bool Beat)>.GetResult(short token)
    {
        // Not Dispose: that would wait for a cancellation callback running now, which may be the one completing us.
        _cancellation.Unregister();
        return Decode(_core.GetResult(token));
    }

    ValueTaskSourceStatus IValueTaskSource<(bool Data, bool Beat)>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<(bool Data, bool Beat)>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

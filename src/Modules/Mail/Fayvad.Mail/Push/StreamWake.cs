using System.Threading.Channels;

namespace Fayvad.Mail.Push;

/// <summary>
/// What an open event stream waits on: "the mailbox's log grew" (<see cref="EventSignals"/>) and "time for a heartbeat"
/// (<see cref="HeartbeatWheel"/>). Both set a flag and wake the one reader; no timer, task or token source of its own,
/// so an idle stream is this object and a parked continuation.
/// </summary>
internal sealed class StreamWake
{
    private const int DataFlag = 1;
    private const int BeatFlag = 2;

    // Capacity one, newest dropped: a pending wake-up already means "look at the flags".
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private int _pending;

    /// <summary>The heartbeat wheel's slot this stream is in (set by <see cref="HeartbeatWheel"/>).</summary>
    internal int Slot { get; set; } = -1;

    public void Data() => Raise(DataFlag);

    public void Beat() => Raise(BeatFlag);

    /// <summary>Until something is pending; then what it was, cleared.</summary>
    public async ValueTask<(bool Data, bool Beat)> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = Interlocked.Exchange(ref _pending, 0);
            if (pending != 0)
            {
                return ((pending & DataFlag) != 0, (pending & BeatFlag) != 0);
            }

            await _signal.Reader.ReadAsync(cancellationToken);
        }
    }

    private void Raise(int flag)
    {
        Interlocked.Or(ref _pending, flag);
        _signal.Writer.TryWrite(true);
    }
}

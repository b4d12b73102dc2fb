using Fayvad.Sync;
using Fayvad.Sync.Streams;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Tests;

public sealed class StreamWakeTests
{
    [Fact]
    public async Task Data_and_beat_raised_before_a_wait_come_out_of_one_wait_then_are_cleared()
    {
        var wake = new StreamWake();
        wake.Data();
        wake.Beat();
        Assert.Equal((true, true), await wake.WaitAsync(TestContext.Current.CancellationToken));
        Assert.False(IsPending(wake));
    }

    [Fact]
    public async Task A_waiting_stream_is_woken_by_data_alone()
    {
        var wake = new StreamWake();
        var waiting = wake.WaitAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);
        wake.Data();
        Assert.Equal((true, false), await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_waiting_stream_is_ended_by_its_token_and_the_next_wait_still_hears_a_beat()
    {
        var wake = new StreamWake();
        using var aborted = new CancellationTokenSource();
        var waiting = wake.WaitAsync(aborted.Token).AsTask();
        await aborted.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        var next = wake.WaitAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(next.IsCompleted);
        wake.Beat();
        wake.Data();
        Assert.Equal((false, true), await next.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        // Data raised after the wake-up is kept for the next wait, not lost.
        Assert.Equal((true, false), await wake.WaitAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>A wait with a cancelled token returns only what is already pending.</summary>
    internal static bool IsPending(StreamWake wake)
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var wait = wake.WaitAsync(cancelled.Token).AsTask();
        return wait.IsCompletedSuccessfully;
    }
}

public sealed class HeartbeatWheelTests
{
    private static HeartbeatWheel Wheel(TimeSpan heartbeat) =>
        new(Options.Create(new PushOptions { Heartbeat = heartbeat }));

    [Fact]
    public async Task Every_stream_on_the_wheel_hears_beats_and_a_removed_one_none()
    {
        using var wheel = Wheel(TimeSpan.FromMilliseconds(320));
        var wakes = Enumerable.Range(0, 40).Select(_ => new StreamWake()).ToList();
        foreach (var wake in wakes)
        {
            wheel.Add(wake);
        }

        var removed = wakes[^1];
        wheel.Remove(removed);
        Assert.Equal(39, wheel.Count);
        // Clear anything the removed one heard before it left.
        StreamWakeTests.IsPending(removed);

        // Two beats for each stream still on the wheel: two full turns, so the removed one would have heard one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        foreach (var wake in wakes.Take(39))
        {
            for (var beat = 0; beat < 2; beat++)
            {
                var (data, heard) = await wake.WaitAsync(TestContext.Current.CancellationToken).AsTask()
                    .WaitAsync(deadline - DateTime.UtcNow, TestContext.Current.CancellationToken);
                Assert.False(data);
                Assert.True(heard);
            }
        }

        Assert.False(StreamWakeTests.IsPending(removed));
    }
}

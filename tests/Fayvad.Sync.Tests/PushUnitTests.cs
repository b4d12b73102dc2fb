using Fayvad.Sync.Features.StreamEvents;
using Fayvad.Sync.Watch;
using Fayvad.Sync.Webhooks;

namespace Fayvad.Sync.Tests;

public sealed class WebhookSignatureTests
{
    /// <summary>The expected value comes from Python's hmac module, as the README's Django example computes it.</summary>
    [Fact]
    public void Matches_the_documented_python_verification() =>
        Assert.Equal("v1=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3", WebhookDispatcher.Sign("k", 1700000000, "{\"a\":1}"));

    [Fact]
    public void Depends_on_secret_timestamp_and_body()
    {
        var signature = WebhookDispatcher.Sign("secret", 1, "{}");
        Assert.NotEqual(signature, WebhookDispatcher.Sign("secret2", 1, "{}"));
        Assert.NotEqual(signature, WebhookDispatcher.Sign("secret", 2, "{}"));
        Assert.NotEqual(signature, WebhookDispatcher.Sign("secret", 1, "{ }"));
    }
}

public sealed class SseFrameTests
{
    [Fact]
    public void An_event_is_id_event_and_one_data_line_then_a_blank_line() =>
        Assert.Equal("id: 7\nevent: message.new\ndata: {\"a\":1}\n\n", new SseFrame(7, "message.new", "{\"a\":1}").Format());

    [Fact]
    public void A_comment_starts_with_a_colon() => Assert.Equal(": heartbeat\n\n", SseFrame.Heartbeat.Format());
}

/// <summary>How the registry counts who wants a mailbox watched (Watch/WantedMailbox).</summary>
public sealed class WantedMailboxTests
{
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(15);

    private sealed class Watched(string mailbox, Lock gate) : WantedMailbox(mailbox, gate);

    [Fact]
    public void A_handle_disposed_twice_gives_back_one_reference()
    {
        var gate = new Lock();
        var mailbox = new Watched("a@example.com", gate);
        IDisposable first, second;
        lock (gate)
        {
            first = mailbox.Reference(null);
            second = mailbox.Reference(null);
        }

        first.Dispose();
        first.Dispose();
        var later = Environment.TickCount64 + (long)Linger.TotalMilliseconds + 1;
        lock (gate)
        {
            Assert.True(mailbox.Wanted(later));
            Assert.False(mailbox.Unwanted(later, Linger));
        }

        second.Dispose();
        // The linger counts from this release, so "later" is taken again after it (a slow machine spends milliseconds).
        later = Environment.TickCount64 + (long)Linger.TotalMilliseconds + 1;
        lock (gate)
        {
            Assert.False(mailbox.Wanted(later));
            Assert.True(mailbox.Unwanted(later, Linger));
        }
    }

    [Fact]
    public void The_last_handle_gone_it_lingers_before_it_is_unwanted()
    {
        var gate = new Lock();
        var mailbox = new Watched("a@example.com", gate);
        IDisposable handle;
        lock (gate)
        {
            handle = mailbox.Reference(null);
        }

        handle.Dispose();
        var now = Environment.TickCount64;
        lock (gate)
        {
            Assert.False(mailbox.Unwanted(now, Linger));
            Assert.True(mailbox.Unwanted(now + (long)Linger.TotalMilliseconds, Linger));
        }
    }

    [Fact]
    public void A_hold_keeps_it_wanted_until_it_runs_out_and_is_only_ever_extended()
    {
        var gate = new Lock();
        var mailbox = new Watched("a@example.com", gate);
        var before = Environment.TickCount64;
        lock (gate)
        {
            mailbox.HoldFor(7, TimeSpan.FromSeconds(30));
            mailbox.HoldFor(8, TimeSpan.FromSeconds(5));
        }

        var after = Environment.TickCount64;
        lock (gate)
        {
            Assert.Equal(7, mailbox.OrganizationId);
            Assert.True(mailbox.Wanted(before + 29_000));
            Assert.False(mailbox.Unwanted(before + 29_000, TimeSpan.Zero));
            Assert.False(mailbox.Wanted(after + 30_000));
            Assert.True(mailbox.Unwanted(after + 30_000, TimeSpan.Zero));
        }
    }

    [Fact]
    public void A_node_id_is_the_configured_one_or_a_fresh_one_per_call()
    {
        Assert.Equal("node-a", WantedMailbox.NodeIdOf(new PushOptions { NodeId = "node-a" }));
        var generated = WantedMailbox.NodeIdOf(new PushOptions());
        Assert.StartsWith($"{Environment.MachineName}:{Environment.ProcessId}:", generated, StringComparison.Ordinal);
        Assert.NotEqual(generated, WantedMailbox.NodeIdOf(new PushOptions()));
    }
}

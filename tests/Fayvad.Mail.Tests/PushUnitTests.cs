using Fayvad.Mail.Features.StreamEvents;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Push;
using MailKit;

namespace Fayvad.Mail.Tests;

public sealed class SyncStateTests
{
    [Theory]
    [InlineData(1u, 1ul, 1u)]
    [InlineData(4_000_000_000u, 18_000_000_000_000_000_000ul, 4_000_000_000u)]
    public void Round_trips(uint validity, ulong modSeq, uint uidNext)
    {
        var text = new SyncState(validity, modSeq, uidNext).Encode();
        Assert.Matches("^s1\\.[A-Za-z0-9_-]+$", text);
        Assert.True(SyncState.TryDecode(text, out var state));
        Assert.Equal(new SyncState(validity, modSeq, uidNext), state);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("s1.")]
    [InlineData("s2.MToxOjE")] // right payload, wrong version
    [InlineData("s1.MToxOjE6MQ")] // "1:1:1:1"
    [InlineData("s1.LTE6MTox")] // "-1:1:1": negative validity
    [InlineData("s1.!!!")]
    public void Refuses_anything_else(string? text) => Assert.False(SyncState.TryDecode(text, out _));
}

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

public sealed class FlagNameTests
{
    [Fact]
    public void System_flags_then_keywords() =>
        Assert.Equal(["\\Seen", "\\Flagged", "$Forwarded"],
            MessageMapper.FlagNames(MessageFlags.Seen | MessageFlags.Flagged, new HashSet<string> { "$Forwarded" }));
}

/// <summary>How both push modes count who wants a mailbox watched (Push/WantedMailbox).</summary>
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

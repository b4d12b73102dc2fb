using Fayvad.Mail.Contracts;
using Fayvad.Mail.Mime;
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

public sealed class FlagNameTests
{
    [Fact]
    public void System_flags_then_keywords() =>
        Assert.Equal(["\\Seen", "\\Flagged", "$Forwarded"],
            MessageMapper.FlagNames(MessageFlags.Seen | MessageFlags.Flagged, new HashSet<string> { "$Forwarded" }));
}

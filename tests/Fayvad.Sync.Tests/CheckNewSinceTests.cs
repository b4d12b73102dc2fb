using Fayvad.Mail.Contracts;
using Fayvad.Sync.Features.CheckNew;

namespace Fayvad.Sync.Tests;

public sealed class CheckNewSinceTests
{
    [Fact]
    public void An_integer_is_an_event_id()
    {
        Assert.True(CheckNewSince.TryParse("42", out var since));
        Assert.Equal(42, since.EventId);
        Assert.Null(since.State);
        Assert.Null(since.Time);
    }

    [Fact]
    public void A_folder_state_is_taken_as_is()
    {
        var state = new SyncState(7, 99, 12);
        Assert.True(CheckNewSince.TryParse(state.Encode(), out var since));
        Assert.Equal(state, since.State);
    }

    [Theory]
    [InlineData("2026-11-29T10:00:00Z", "2026-11-29T10:00:00+00:00")]
    [InlineData("2026-11-29T13:00:00+03:00", "2026-11-29T10:00:00+00:00")]
    [InlineData("2026-11-29T10:00:00", "2026-11-29T10:00:00+00:00")]
    public void A_time_is_read_as_utc_unless_it_says_otherwise(string text, string utc)
    {
        Assert.True(CheckNewSince.TryParse(text, out var since));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), since.Time);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-5")]
    [InlineData("s1.garbage")]
    public void Anything_else_is_refused(string text) => Assert.False(CheckNewSince.TryParse(text, out _));
}

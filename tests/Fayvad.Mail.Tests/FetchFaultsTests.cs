using Fayvad.Mail.Imap;
using MimeKit;

namespace Fayvad.Mail.Tests;

public sealed class FetchFaultsTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void A_demoted_message_is_asked_for_with_the_next_tier_in_its_own_mailbox_and_folder_only()
    {
        var faults = new FetchFaults(new Clock());
        var scope = new FetchFaults.Scope(faults, "A@Example.com");
        Assert.False(scope.AnyIn("INBOX", 7));
        Assert.True(scope.Demote("INBOX", 7, 42, FetchTier.Full));

        Assert.Equal(FetchTier.Lean, new FetchFaults.Scope(faults, "a@example.com").TierOf("INBOX", 7, 42));
        Assert.True(scope.AnyIn("INBOX", 7));
        Assert.Equal(FetchTier.Full, scope.TierOf("INBOX", 7, 43));
        Assert.Equal(FetchTier.Full, scope.TierOf("INBOX", 8, 42));
        Assert.Equal(FetchTier.Full, scope.TierOf("Sent", 7, 42));
        Assert.Equal(FetchTier.Full, new FetchFaults.Scope(faults, "b@example.com").TierOf("INBOX", 7, 42));
        Assert.False(new FetchFaults.Scope(faults, "b@example.com").AnyIn("INBOX", 7));
    }

    [Fact]
    public void Two_requests_failing_on_one_message_at_once_demote_it_one_tier_not_two()
    {
        var scope = new FetchFaults.Scope(new FetchFaults(new Clock()), "a@example.com");
        Assert.True(scope.Demote("INBOX", 1, 5, FetchTier.Full));
        Assert.False(scope.Demote("INBOX", 1, 5, FetchTier.Full));
        Assert.Equal(FetchTier.Lean, scope.TierOf("INBOX", 1, 5));

        Assert.True(scope.Demote("INBOX", 1, 5, FetchTier.Lean));
        Assert.True(scope.Demote("INBOX", 1, 5, FetchTier.Bare));
        Assert.Equal(FetchTier.Minimal, scope.TierOf("INBOX", 1, 5));
        // Below UID and FLAGS there is nothing: the fault is the connection's.
        Assert.False(scope.Demote("INBOX", 1, 5, FetchTier.Minimal));
    }

    [Fact]
    public void What_was_learned_expires_so_a_fault_that_was_the_networks_is_forgotten()
    {
        var clock = new Clock();
        var scope = new FetchFaults.Scope(new FetchFaults(clock), "a@example.com");
        scope.Demote("INBOX", 1, 5, FetchTier.Full);
        clock.Now += FetchFaults.Lifetime - TimeSpan.FromMinutes(1);
        Assert.Equal(FetchTier.Lean, scope.TierOf("INBOX", 1, 5));
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.Equal(FetchTier.Full, scope.TierOf("INBOX", 1, 5));
    }

    [Fact]
    public void A_folders_marker_expires_with_what_was_learned_in_it()
    {
        var clock = new Clock();
        var scope = new FetchFaults.Scope(new FetchFaults(clock), "a@example.com");
        scope.Demote("INBOX", 1, 5, FetchTier.Full);
        clock.Now += TimeSpan.FromHours(1);
        scope.SuspectIndex("INBOX", 1, 9);
        // The marker lives as long as the newest entry of its folder.
        clock.Now += FetchFaults.Lifetime - TimeSpan.FromMinutes(30);
        Assert.True(scope.AnyIn("INBOX", 1));
        clock.Now += TimeSpan.FromHours(1);
        Assert.False(scope.AnyIn("INBOX", 1));
        Assert.Null(scope.TakeSuspectIndex("INBOX", 1));
    }

    [Fact]
    public void Folder_markers_are_bounded_the_oldest_going_first()
    {
        var clock = new Clock();
        var faults = new FetchFaults(clock);
        var scope = new FetchFaults.Scope(faults, "a@example.com");
        for (var i = 0; i <= FetchFaults.Capacity; i++)
        {
            clock.Now += TimeSpan.FromMilliseconds(1);
            scope.SuspectIndex($"F{i}", 1, 1);
        }

        Assert.InRange(faults.FolderCount, 1, FetchFaults.Capacity);
        Assert.True(scope.AnyIn($"F{FetchFaults.Capacity}", 1));
        Assert.False(scope.AnyIn("F0", 1));
    }

    [Fact]
    public void A_suspect_sequence_number_is_handed_out_once()
    {
        var scope = new FetchFaults.Scope(new FetchFaults(new Clock()), "a@example.com");
        scope.SuspectIndex("INBOX", 1, 17);
        Assert.True(scope.AnyIn("INBOX", 1));
        Assert.Equal(17, scope.TakeSuspectIndex("INBOX", 1));
        Assert.Null(scope.TakeSuspectIndex("INBOX", 1));
    }

    [Fact]
    public void The_envelope_of_a_lesser_plan_is_built_from_the_header_fields()
    {
        var headers = HeaderList.Load(new MemoryStream(
            "From: \"Ann Example\" <ann@example.com>\r\nTo: b@example.com, \"C\" <c@example.com>\r\nCc: d@example.com\r\nSubject: =?UTF-8?B?w6l0w6k=?=\r\nDate: Mon, 07 Dec 2026 10:00:00 +0100\r\nMessage-ID: <id-1@example.com>\r\nIn-Reply-To: <parent@example.com>\r\n\r\n"u8.ToArray()), TestContext.Current.CancellationToken);
        var envelope = TolerantFetch.EnvelopeOf(headers);
        Assert.Equal("ann@example.com", envelope.From.Mailboxes.Single().Address);
        Assert.Equal("Ann Example", envelope.From.Mailboxes.Single().Name);
        Assert.Equal(["b@example.com", "c@example.com"], envelope.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("d@example.com", envelope.Cc.Mailboxes.Single().Address);
        Assert.Equal("été", envelope.Subject);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), envelope.Date?.ToUniversalTime());
        Assert.Equal("id-1@example.com", envelope.MessageId);
        Assert.Equal("parent@example.com", envelope.InReplyTo);
        Assert.Empty(envelope.Bcc);
    }
}

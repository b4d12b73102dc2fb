using System.Net;
using System.Net.Http.Json;
using MailKit;
using MailKit.Search;

namespace Fayvad.Api.Tests.Mail;

public sealed class EventTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Mail_delivered_by_smtp_appears_as_message_new_then_inbox_counts()
    {
        var box = await MailboxAsync();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);
        var subject = Unique("pushed");

        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, subject, "hello"), Ct);

        var created = await stream.NextAsync(MailEventTypes.New, Ct);
        var data = created.As<MessageNewEvent>();
        Assert.Equal("INBOX", data.Folder);
        Assert.Equal(subject, data.Message.Subject);
        Assert.Equal("far@example.com", data.Message.Sender);
        Assert.False(data.Message.IsRead);
        Assert.Equal(data.Id, data.Message.Id);
        // The id is the API's: the message can be fetched with it.
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{data.Message.Id}/", Ct), HttpStatusCode.OK);

        var counts = await stream.NextAsync(e => e.Type == "folder.counts" && e.As<FolderCountsEvent>().Folder == "INBOX", Ct);
        Assert.Equal(new FolderCountsEvent("INBOX", UnreadCount: 1, TotalCount: 1), counts.As<FolderCountsEvent>());
        Assert.True(counts.Id > created.Id);
    }

    [Fact]
    public async Task Flags_and_moves_by_another_imap_client_show_as_updated_deleted_and_new()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "to flag", "x"), MailKitTestKit.Message("a@example.com", box.Address, "to move", "x")], Ct);
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);
        var listed = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        var flaggedId = listed.Single(m => MailKitTestKit.Subject(m) == "to flag").GetProperty("id").GetString();
        var movedId = listed.Single(m => MailKitTestKit.Subject(m) == "to move").GetProperty("id").GetString();

        using var imap = await MailKitTestKit.OpenAsync(box.Address, Ct);
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, Ct);
        var toFlag = (await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("to flag"), Ct)).Single();
        await imap.Inbox.AddFlagsAsync(toFlag, MessageFlags.Seen | MessageFlags.Flagged, true, Ct);

        var updated = (await stream.NextAsync(MailEventTypes.Updated, Ct)).As<MessageUpdatedEvent>();
        Assert.Equal(flaggedId, updated.Id);
        Assert.Equal("INBOX", updated.Folder);
        Assert.True(updated.IsRead);
        Assert.True(updated.IsStarred);

        var toMove = (await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("to move"), Ct)).Single();
        var junk = imap.GetFolder(MailKit.SpecialFolder.Junk) ?? await imap.GetFolderAsync("Junk", Ct);
        await imap.Inbox.MoveToAsync(toMove, junk, Ct);

        // Two folders change; the order of their events is not part of the contract.
        SseEvent? deleted = null, arrived = null;
        while (deleted is null || arrived is null)
        {
            var e = await stream.NextAsync(e => e.Type is MailEventTypes.Deleted or MailEventTypes.New, Ct);
            if (e.Type == MailEventTypes.Deleted)
            {
                deleted = e;
            }
            else
            {
                arrived = e;
            }
        }

        Assert.Equal(new MessageDeletedEvent("INBOX", movedId!), deleted.As<MessageDeletedEvent>());
        Assert.Equal("Junk", arrived.As<MessageNewEvent>().Folder);
        Assert.Equal("to move", arrived.As<MessageNewEvent>().Message.Subject);
    }

    [Fact]
    public async Task Reconnecting_with_last_event_id_replays_exactly_what_was_missed_in_order()
    {
        var box = await MailboxAsync();
        long lastSeen;
        await using (var first = await SseReader.OpenAsync(box.Client, Ct))
        {
            await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("a@example.com", box.Address, "before", "x"), Ct);
            await first.NextAsync(MailEventTypes.New, Ct);
            lastSeen = (await first.NextAsync("folder.counts", Ct)).Id!.Value;
        }

        string[] missed = ["missed one", "missed two", "missed three"];
        foreach (var subject in missed)
        {
            await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("a@example.com", box.Address, subject, "x"), Ct);
            await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
        }

        await using var second = await SseReader.OpenAsync(box.Client, Ct, lastSeen);
        var replayed = new List<SseEvent>();
        for (var i = 0; i < missed.Length; i++)
        {
            replayed.Add(await second.NextAsync(MailEventTypes.New, Ct));
        }

        Assert.Equal(missed, replayed.Select(e => e.As<MessageNewEvent>().Message.Subject));
        Assert.All(second.Seen, e => Assert.True(e.Id > lastSeen));
        Assert.Equal(second.Seen.Select(e => e.Id).Distinct().Count(), second.Seen.Count);
        Assert.True(second.Seen.Select(e => e.Id).SequenceEqual(second.Seen.Select(e => e.Id).Order()));
    }

    [Fact]
    public async Task An_unknown_event_id_gets_a_reset()
    {
        var box = await MailboxAsync();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct, lastEventId: 999_999);
        var reset = await stream.NextAsync("reset", Ct);
        Assert.Contains("reload", reset.As<ReasonEvent>().Reason, StringComparison.Ordinal);

        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/events/?since=abc", Ct), HttpStatusCode.BadRequest, "event id");
    }

    [Fact]
    public async Task A_stream_never_carries_another_users_events()
    {
        var a = await MailboxAsync("a");
        var b = await MailboxAsync("b", a.Org);
        await using var streamA = await SseReader.OpenAsync(a.Client, Ct);
        await using var streamB = await SseReader.OpenAsync(b.Client, Ct);

        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("x@example.com", b.Address, "for b only", "x"), Ct);
        await streamB.NextAsync(MailEventTypes.New, Ct);
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("x@example.com", a.Address, "for a", "x"), Ct);
        var forA = await streamA.NextAsync(MailEventTypes.New, Ct);

        Assert.Equal("for a", forA.As<MessageNewEvent>().Message.Subject);
        Assert.DoesNotContain(streamA.Seen, e => e.Data.ToString().Contains("for b only", StringComparison.Ordinal));
        Assert.DoesNotContain(streamB.Seen, e => e.Data.ToString().Contains("for a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logging_out_ends_the_stream()
    {
        var box = await MailboxAsync();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);
        Assert.Equal(HttpStatusCode.NoContent, (await box.Client.PostAsync($"{Root}/auth/logout/", null, Ct)).StatusCode);

        var end = await stream.NextAsync("end", Ct);
        Assert.Contains("revoked", end.As<ReasonEvent>().Reason, StringComparison.Ordinal);
        await stream.EndAsync(5);
        Assert.True(stream.Ended);
        Assert.Equal(HttpStatusCode.Unauthorized, (await box.Client.GetAsync($"{Root}/email/events/", Ct)).StatusCode);
    }
}

public sealed class FolderEventTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Folder_created_renamed_and_deleted_are_events_and_a_deleted_folders_mail_shows_up_in_trash()
    {
        var box = await MailboxAsync();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Plans" }, Ct), HttpStatusCode.Created);
        var created = await stream.NextAsync("folder.created", Ct);
        Assert.Equal(new FolderChangeEvent("Plans", null), created.As<FolderChangeEvent>());

        await TestApi.ReadAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "Plans", name = "Ideas" }, Ct), HttpStatusCode.OK);
        var renamed = await stream.NextAsync("folder.renamed", Ct);
        Assert.Equal(new FolderChangeEvent("Ideas", "Plans"), renamed.As<FolderChangeEvent>());

        await MailKitTestKit.AppendAsync(box.Address, "Ideas", [MailKitTestKit.Message("a@example.com", box.Address, "saved idea", "x")], Ct);
        await stream.NextAsync(e => e.Type == MailEventTypes.New && e.As<MessageNewEvent>().Folder == "Ideas", Ct);
        var mark = stream.Mark;
        Assert.Equal(HttpStatusCode.NoContent, (await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Ideas", Ct)).StatusCode);
        var deleted = await stream.NextAsync("folder.deleted", Ct);
        Assert.Equal(new FolderChangeEvent("Ideas", null), deleted.As<FolderChangeEvent>());
        // The mail reaches Trash before its folder goes, so its event may come before folder.deleted.
        var rescued = await stream.SinceAsync(mark, e => e.Type == MailEventTypes.New && e.As<MessageNewEvent>().Folder == "Trash", Ct);
        Assert.Equal("saved idea", rescued.As<MessageNewEvent>().Message.Subject);
    }

    [Fact]
    public async Task Disabling_the_account_ends_the_stream()
    {
        var box = await MailboxAsync();
        var admin = await Api.AsAsync(box.Org.AdminUsername);
        var accounts = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.OK);
        var accountId = accounts.EnumerateArray().Single(a => a.GetProperty("address").GetString() == box.Address).GetProperty("id").GetInt64();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{accountId}/", new { enabled = false }, Ct), HttpStatusCode.OK);

        await stream.NextAsync("end", Ct);
        await stream.EndAsync(5);
        Assert.True(stream.Ended);
    }
}

internal static class MailEventTypes
{
    public const string New = "message.new";
    public const string Updated = "message.updated";
    public const string Deleted = "message.deleted";
}

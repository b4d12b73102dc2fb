using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit;
using MailKit.Search;

namespace Fayvad.Api.Tests.Mail;

public sealed class ChangesTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Changes_since_a_listing_give_new_flagged_and_expunged_messages_then_nothing()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [
            MailKitTestKit.Message("a@example.com", box.Address, "old kept", "x"),
            MailKitTestKit.Message("a@example.com", box.Address, "old flagged", "x"),
            MailKitTestKit.Message("a@example.com", box.Address, "old expunged", "x"),
        ], Ct);
        var listing = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&include_body=false", Ct), HttpStatusCode.OK);
        var state = listing.GetProperty("state").GetString()!;
        var ids = listing.GetProperty("messages").EnumerateArray().ToDictionary(MailKitTestKit.Subject, m => m.GetProperty("id").GetString());

        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, Ct);
            await imap.Inbox.AddFlagsAsync((await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("old flagged"), Ct)).Single(), MessageFlags.Flagged, true, Ct);
            var doomed = (await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("old expunged"), Ct)).Single();
            await imap.Inbox.AddFlagsAsync(doomed, MessageFlags.Deleted, true, Ct);
            await imap.Inbox.ExpungeAsync([doomed], Ct);
        }

        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [
            MailKitTestKit.Message("b@example.com", box.Address, "new one", "x"),
            MailKitTestKit.Message("b@example.com", box.Address, "new two", "x"),
        ], Ct);

        var changes = await ChangesAsync(box, "INBOX", state);
        Assert.Equal(["new one", "new two"], changes.GetProperty("created").EnumerateArray().Select(MailKitTestKit.Subject));
        var updated = changes.GetProperty("updated").EnumerateArray().Single();
        Assert.Equal(ids["old flagged"], updated.GetProperty("id").GetString());
        Assert.True(updated.GetProperty("is_starred").GetBoolean());
        Assert.Contains("\\Flagged", updated.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal([ids["old expunged"]], changes.GetProperty("deleted").EnumerateArray().Select(d => d.GetString()));
        Assert.False(changes.GetProperty("has_more").GetBoolean());

        var quiet = await ChangesAsync(box, "INBOX", changes.GetProperty("state").GetString()!);
        Assert.Empty(quiet.GetProperty("created").EnumerateArray());
        Assert.Empty(quiet.GetProperty("updated").EnumerateArray());
        Assert.Empty(quiet.GetProperty("deleted").EnumerateArray());
    }

    [Fact]
    public async Task Many_new_messages_come_in_pages_with_has_more()
    {
        var box = await MailboxAsync();
        var folders = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        var inbox = folders.GetProperty("folders").EnumerateArray().First();
        Assert.All(folders.GetProperty("folders").EnumerateArray(), f => Assert.StartsWith("s1.", f.GetProperty("state").GetString(), StringComparison.Ordinal));
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", Enumerable.Range(1, 5).Select(i => MailKitTestKit.Message("a@example.com", box.Address, $"n{i}", "x")).ToList(), Ct);

        var seen = new List<string>();
        var state = inbox.GetProperty("state").GetString()!;
        for (var call = 0; call < 3; call++)
        {
            var page = await ChangesAsync(box, "INBOX", state, "&limit=2");
            seen.AddRange(page.GetProperty("created").EnumerateArray().Select(MailKitTestKit.Subject));
            state = page.GetProperty("state").GetString()!;
            Assert.Equal(call < 2, page.GetProperty("has_more").GetBoolean());
        }

        Assert.Equal(["n1", "n2", "n3", "n4", "n5"], seen);
    }

    [Fact]
    public async Task Bad_states_and_folders_are_refused_and_a_recreated_folder_is_gone()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Phoenix" }, Ct), HttpStatusCode.Created);
        var state = (await ChangesAsync(box, "Phoenix", null)).GetProperty("state").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Phoenix", Ct)).StatusCode);
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Phoenix" }, Ct), HttpStatusCode.Created);

        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/changes/?folder=Phoenix&since={state}", Ct), HttpStatusCode.Gone, "recreated");
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/changes/?folder=INBOX&since=garbage", Ct), HttpStatusCode.BadRequest, "since");
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/changes/?folder=INBOX&limit=0", Ct), HttpStatusCode.BadRequest, "limit");
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/changes/?folder=Nowhere", Ct), HttpStatusCode.NotFound, "Nowhere");
    }

    private async Task<JsonElement> ChangesAsync(Mailbox box, string folder, string? since, string extra = "")
    {
        var url = $"{Root}/email/changes/?folder={Uri.EscapeDataString(folder)}{(since is null ? "" : "&since=" + Uri.EscapeDataString(since))}{extra}";
        return await TestApi.ReadAsync(await box.Client.GetAsync(url, Ct), HttpStatusCode.OK);
    }
}

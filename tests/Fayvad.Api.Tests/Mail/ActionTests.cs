using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

public sealed class ActionTests(ApiFactory factory) : MailTest(factory)
{
    private async Task<JsonElement> ActAsync(Mailbox box, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", body, Ct), expected);

    private async Task<Dictionary<string, JsonElement>> SeedAsync(Mailbox box, params string[] subjects)
    {
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", subjects.Select(s => MailKitTestKit.Message("x@example.com", box.Address, s, "body " + s)).ToList(), Ct);
        return (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false")).ToDictionary(MailKitTestKit.Subject);
    }

    private static string Id(JsonElement message) => message.GetProperty("id").GetString()!;

    [Fact]
    public async Task Flags_are_set_and_cleared()
    {
        var box = await MailboxAsync();
        var messages = await SeedAsync(box, "a", "b", "c");
        string[] ids = [Id(messages["a"]), Id(messages["b"])];

        var read = await ActAsync(box, new { action = "mark_read", ids });
        Assert.True(read.GetProperty("success").GetBoolean());
        Assert.Equal("mark_read", read.GetProperty("action").GetString());
        Assert.Equal(2, read.GetProperty("processed").GetInt32());
        Assert.Equal(2, read.GetProperty("total").GetInt32());
        await ActAsync(box, new { action = "star", ids = new[] { Id(messages["c"]) } });

        var after = (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false")).ToDictionary(MailKitTestKit.Subject);
        Assert.True(after["a"].GetProperty("is_read").GetBoolean());
        Assert.True(after["b"].GetProperty("is_read").GetBoolean());
        Assert.False(after["c"].GetProperty("is_read").GetBoolean());
        Assert.True(after["c"].GetProperty("is_starred").GetBoolean());

        await ActAsync(box, new { action = "mark_unread", ids = new[] { Id(messages["a"]) } });
        await ActAsync(box, new { action = "unstar", ids = new[] { Id(messages["c"]) } });
        after = (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false")).ToDictionary(MailKitTestKit.Subject);
        Assert.False(after["a"].GetProperty("is_read").GetBoolean());
        Assert.False(after["c"].GetProperty("is_starred").GetBoolean());

        // Seen by any other client, not only through the API.
        using var imap = await MailKitTestKit.OpenAsync(box.Address, Ct);
        await imap.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly, Ct);
        var flags = await imap.Inbox.FetchAsync(0, -1, new MailKit.FetchRequest(MailKit.MessageSummaryItems.Flags | MailKit.MessageSummaryItems.Envelope), Ct);
        Assert.True(flags.Single(f => f.Envelope!.Subject == "b").Flags!.Value.HasFlag(MailKit.MessageFlags.Seen));
    }

    [Fact]
    public async Task Move_and_delete_work_across_folders_and_nothing_is_lost()
    {
        var box = await MailboxAsync();
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Archive", true, Ct);
        }

        var messages = await SeedAsync(box, "keep", "archive me", "trash me");
        var moved = await ActAsync(box, new { action = "move", ids = new[] { Id(messages["archive me"]) }, folder = "Archive" });
        Assert.True(moved.GetProperty("success").GetBoolean());
        var archived = Assert.Single(await MailKitTestKit.ListAsync(box.Client, "Archive", Ct));
        Assert.Equal("archive me", MailKitTestKit.Subject(archived));

        // One delete with ids from two folders (as a search result gives them): both go to Trash.
        var deleted = await ActAsync(box, new { action = "delete", ids = new[] { Id(messages["trash me"]), Id(archived) } });
        Assert.Equal(2, deleted.GetProperty("processed").GetInt32());
        var trash = await MailKitTestKit.ListAsync(box.Client, "Trash", Ct);
        Assert.Equal(["archive me", "trash me"], trash.Select(MailKitTestKit.Subject).Order());
        Assert.Equal(["keep"], (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct)).Select(MailKitTestKit.Subject));
        Assert.Empty(await MailKitTestKit.ListAsync(box.Client, "Archive", Ct));

        // Delete from Trash deletes for good, only what was asked.
        var purge = await ActAsync(box, new { action = "delete", ids = new[] { Id(trash.Single(t => MailKitTestKit.Subject(t) == "trash me")) } });
        Assert.True(purge.GetProperty("success").GetBoolean());
        Assert.Equal(["archive me"], (await MailKitTestKit.ListAsync(box.Client, "Trash", Ct)).Select(MailKitTestKit.Subject));
    }

    [Fact]
    public async Task Ids_that_no_longer_exist_are_reported_as_failed()
    {
        var box = await MailboxAsync();
        var messages = await SeedAsync(box, "one", "two");
        var gone = Id(messages["two"]);
        await ActAsync(box, new { action = "move", ids = new[] { gone }, folder = "Junk" });

        var result = await ActAsync(box, new { action = "mark_read", ids = new[] { Id(messages["one"]), gone, "garbage-id" } });
        Assert.False(result.GetProperty("success").GetBoolean());
        Assert.Equal(1, result.GetProperty("processed").GetInt32());
        Assert.Equal(3, result.GetProperty("total").GetInt32());
        Assert.Equal([gone, "garbage-id"], result.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Bad_action_requests_change_nothing()
    {
        var box = await MailboxAsync();
        var messages = await SeedAsync(box, "stay");
        var id = Id(messages["stay"]);

        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "move", ids = new[] { id } }, Ct), HttpStatusCode.BadRequest, "folder");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "move", ids = new[] { id }, folder = "Nowhere" }, Ct), HttpStatusCode.NotFound, "Nowhere");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "explode", ids = new[] { id } }, Ct), HttpStatusCode.BadRequest, "action");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "delete", ids = Array.Empty<string>() }, Ct), HttpStatusCode.BadRequest, "ids");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { ids = new[] { id } }, Ct), HttpStatusCode.BadRequest, "action");
        Assert.Equal(["stay"], (await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct)).Select(MailKitTestKit.Subject));
    }

    [Fact]
    public async Task An_id_from_a_recreated_folder_is_refused_not_applied_to_another_message()
    {
        var box = await MailboxAsync();
        using var imap = await MailKitTestKit.OpenAsync(box.Address, Ct);
        var root = imap.GetFolder(imap.PersonalNamespaces[0]);
        var folder = await root.CreateAsync("Temp", true, Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Temp", [MailKitTestKit.Message("x@example.com", box.Address, "old", "x")], Ct);
        var oldId = Id(Assert.Single(await MailKitTestKit.ListAsync(box.Client, "Temp", Ct)));

        await folder!.DeleteAsync(Ct);
        await root.CreateAsync("Temp", true, Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Temp", [MailKitTestKit.Message("x@example.com", box.Address, "new", "x")], Ct);

        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/{oldId}/", Ct), HttpStatusCode.NotFound);
        var result = await ActAsync(box, new { action = "delete", ids = new[] { oldId } });
        Assert.Equal(0, result.GetProperty("processed").GetInt32());
        Assert.Equal(["new"], (await MailKitTestKit.ListAsync(box.Client, "Temp", Ct)).Select(MailKitTestKit.Subject));
    }
}

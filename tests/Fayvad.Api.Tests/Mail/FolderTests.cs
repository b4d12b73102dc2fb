using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Api.Tests.Mail;

public sealed class FolderTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Create_a_folder_and_a_nested_one()
    {
        var box = await MailboxAsync();

        var created = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Projects" }, Ct), HttpStatusCode.Created);
        Assert.Equal("Projects", created.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("role").ValueKind);
        var nested = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders", new { name = "2026", parent = "Projects" }, Ct), HttpStatusCode.Created);
        Assert.Equal("Projects/2026", nested.GetProperty("id").GetString());
        Assert.Equal("Projects", nested.GetProperty("parent").GetString());

        var folders = await FolderIdsAsync(box);
        Assert.Contains("Projects", folders);
        Assert.Contains("Projects/2026", folders);
        // The new folder is usable at once: mail can be moved into it and listed there.
        Assert.Empty(await MailKitTestKit.ListAsync(box.Client, "Projects/2026", Ct));

        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Projects" }, Ct), HttpStatusCode.Conflict, "already exists");
        await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "x", parent = "Nowhere" }, Ct), HttpStatusCode.NotFound, "Nowhere");
        foreach (var bad in new[] { "", "a/b", "*", " padded", ".hidden", "line\r\nbreak" })
        {
            await TestApi.AssertErrorAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = bad }, Ct), HttpStatusCode.BadRequest, "name");
        }

        Assert.Equal(folders, await FolderIdsAsync(box));
    }

    [Fact]
    public async Task Common_folder_names_resolve_by_role_on_every_route_that_takes_a_folder()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("a@example.com", box.Address, "junk one", "x")], Ct);

        var changes = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/changes/?folder=Spam", Ct), HttpStatusCode.OK);
        Assert.Equal("Junk", changes.GetProperty("folder").GetString());
        var nested = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Old spam", parent = "spam" }, Ct), HttpStatusCode.Created);
        Assert.Equal("Junk/Old spam", nested.GetProperty("id").GetString());
        await TestApi.AssertErrorAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "Spam", name = "Mine" }, Ct), HttpStatusCode.BadRequest, "junk folder cannot be renamed");
        await TestApi.AssertErrorAsync(await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Deleted%20Items", Ct), HttpStatusCode.BadRequest, "trash folder cannot be deleted");
        var search = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?query=junk&folder=JUNK%20E-MAIL", Ct), HttpStatusCode.OK);
        Assert.Equal(["junk one"], search.GetProperty("messages").EnumerateArray().Select(MailKitTestKit.Subject));

        // A folder really named "Spam" is what "Spam" means from then on: an alias never shadows a path.
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Spam" }, Ct), HttpStatusCode.Created);
        Assert.Empty(await MailKitTestKit.ListAsync(box.Client, "Spam", Ct));
        Assert.Single(await MailKitTestKit.ListAsync(box.Client, "spam", Ct));
    }

    [Fact]
    public async Task Rename_keeps_the_messages_and_refuses_special_folders_and_clashes()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Old" }, Ct), HttpStatusCode.Created);
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Taken" }, Ct), HttpStatusCode.Created);
        await MailKitTestKit.AppendAsync(box.Address, "Old", [MailKitTestKit.Message("a@example.com", box.Address, "kept", "x")], Ct);

        var renamed = await TestApi.ReadAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "Old", name = "New" }, Ct), HttpStatusCode.OK);
        Assert.Equal("New", renamed.GetProperty("id").GetString());
        var folders = await FolderIdsAsync(box);
        Assert.DoesNotContain("Old", folders);
        Assert.Equal("kept", MailKitTestKit.Subject((await MailKitTestKit.ListAsync(box.Client, "New", Ct)).Single()));

        await TestApi.AssertErrorAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "New", name = "Taken" }, Ct), HttpStatusCode.Conflict, "already exists");
        foreach (var special in new[] { "INBOX", "Sent", "Drafts", "Trash", "Junk" })
        {
            await TestApi.AssertErrorAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = special, name = "Mine" }, Ct), HttpStatusCode.BadRequest, "cannot be renamed");
        }

        await TestApi.AssertErrorAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "Ghost", name = "Mine" }, Ct), HttpStatusCode.NotFound, "Ghost");
        await TestApi.AssertErrorAsync(await box.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "New", name = "a/b" }, Ct), HttpStatusCode.BadRequest, "name");
        Assert.Equal(folders, await FolderIdsAsync(box));
    }

    [Fact]
    public async Task Delete_moves_the_messages_to_trash_first_and_refuses_special_folders()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Doomed" }, Ct), HttpStatusCode.Created);
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Parent" }, Ct), HttpStatusCode.Created);
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Child", parent = "Parent" }, Ct), HttpStatusCode.Created);
        await MailKitTestKit.AppendAsync(box.Address, "Doomed", [
            MailKitTestKit.Message("a@example.com", box.Address, "rescued one", "x"),
            MailKitTestKit.Message("a@example.com", box.Address, "rescued two", "x"),
        ], Ct);

        var deleted = await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Doomed", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.DoesNotContain("Doomed", await FolderIdsAsync(box));
        var trash = (await MailKitTestKit.ListAsync(box.Client, "Trash", Ct)).Select(MailKitTestKit.Subject).Order();
        Assert.Equal(["rescued one", "rescued two"], trash);

        await TestApi.AssertErrorAsync(await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Parent", Ct), HttpStatusCode.Conflict, "subfolders");
        foreach (var special in new[] { "INBOX", "Sent", "Drafts", "Trash", "Junk" })
        {
            await TestApi.AssertErrorAsync(await box.Client.DeleteAsync($"{Root}/email/folders/?folder={special}", Ct), HttpStatusCode.BadRequest, "cannot be deleted");
        }

        await TestApi.AssertErrorAsync(await box.Client.DeleteAsync($"{Root}/email/folders/?folder=Ghost", Ct), HttpStatusCode.NotFound, "Ghost");
        await TestApi.AssertErrorAsync(await box.Client.DeleteAsync($"{Root}/email/folders/", Ct), HttpStatusCode.BadRequest, "folder");
        Assert.Contains("Parent/Child", await FolderIdsAsync(box));

        Assert.Equal(HttpStatusCode.NoContent, (await box.Client.DeleteAsync($"{Root}/email/folders?folder=Parent%2FChild", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await box.Client.DeleteAsync($"{Root}/email/folders?folder=Parent", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_user_cannot_touch_another_users_folders()
    {
        var a = await MailboxAsync("a");
        var b = await MailboxAsync("b", a.Org);
        await TestApi.ReadAsync(await a.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Private" }, Ct), HttpStatusCode.Created);

        await TestApi.AssertErrorAsync(await b.Client.DeleteAsync($"{Root}/email/folders/?folder=Private", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await b.Client.PatchAsJsonAsync($"{Root}/email/folders/", new { folder = "Private", name = "Mine" }, Ct), HttpStatusCode.NotFound);
        Assert.Contains("Private", await FolderIdsAsync(a));
        Assert.DoesNotContain("Private", await FolderIdsAsync(b));
    }

    [Fact]
    public async Task A_burst_from_one_user_spreads_over_a_few_connections_within_the_per_user_cap()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "burst", "x")], Ct);
        var cap = Factory.Services.GetRequiredService<IConfiguration>().GetValue("Mail:Imap:MaxConnectionsPerUser", 4);

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => i % 2 == 0
            ? box.Client.GetAsync($"{Root}/email/folders/", Ct)
            : box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&include_body=false", Ct)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // Idle pooled connections stay open after the burst, so Dovecot's own count shows how many were used.
        var connections = await DovecotConnectionsAsync(box.Address);
        Assert.InRange(connections, 2, cap);
    }

    private static async Task<int> DovecotConnectionsAsync(string address)
    {
        var (code, output) = await Doveadm.RunAsync("-c", StackSettings.Get("DOVECOT_CONF"), "who", "-1", address);
        Assert.Equal(0, code);
        return output.Split('\n').Count(l => l.StartsWith(address + " ", StringComparison.Ordinal) && l.Contains("imap", StringComparison.Ordinal));
    }

    private async Task<List<string>> FolderIdsAsync(Mailbox box)
    {
        var body = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        return body.GetProperty("folders").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
    }
}

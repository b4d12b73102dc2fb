using System.Net;
using System.Text.Json;
using MailKit;
using MailKit.Search;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// The read path keeps folders selected on pooled connections and caches parsed messages (docs/adr/0020): what another
/// client changes between two requests must show in the second, and a cached message must never reach another mailbox or
/// outlive its folder's UIDVALIDITY.
/// </summary>
public sealed class ReadPathTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task What_another_client_appends_expunges_or_flags_between_two_requests_shows_in_the_next()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [
            MailKitTestKit.Message("a@example.com", box.Address, "first", "first body"),
            MailKitTestKit.Message("a@example.com", box.Address, "second", "second body", "<p>second html</p>"),
        ], Ct);
        // Bodies and details go into the cache; the connection keeps INBOX selected.
        Assert.Equal(["second", "first"], (await ListAsync(box, "INBOX", bodies: true)).Select(MailKitTestKit.Subject));
        var second = (await ListAsync(box, "INBOX", bodies: false)).First();
        var secondId = second.GetProperty("id").GetString()!;
        Assert.False((await DetailAsync(box, secondId)).GetProperty("is_read").GetBoolean());

        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("b@example.com", box.Address, "third", "third body")], Ct);
        var afterAppend = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&include_body=true", Ct), HttpStatusCode.OK);
        Assert.Equal(3, afterAppend.GetProperty("total").GetInt32());
        Assert.Equal(["third", "second", "first"], afterAppend.GetProperty("messages").EnumerateArray().Select(MailKitTestKit.Subject));
        Assert.Equal("third body", afterAppend.GetProperty("messages")[0].GetProperty("body_text").GetString()!.Trim());

        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, Ct);
            var first = (await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("first"), Ct)).Single();
            await imap.Inbox.AddFlagsAsync(first, MessageFlags.Deleted, true, Ct);
            await imap.Inbox.ExpungeAsync([first], Ct);
            var secondUid = (await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("second"), Ct)).Single();
            await imap.Inbox.AddFlagsAsync(secondUid, MessageFlags.Seen | MessageFlags.Flagged, true, Ct);
        }

        var afterExpunge = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&include_body=true", Ct), HttpStatusCode.OK);
        Assert.Equal(2, afterExpunge.GetProperty("total").GetInt32());
        var rows = afterExpunge.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["third", "second"], rows.Select(MailKitTestKit.Subject));
        // Flags are never cached: the cached row of "second" carries the flags set by the other client.
        Assert.True(rows[1].GetProperty("is_read").GetBoolean());
        Assert.True(rows[1].GetProperty("is_starred").GetBoolean());
        Assert.Equal("<p>second html</p>", rows[1].GetProperty("body_html").GetString());
        var detail = await DetailAsync(box, secondId);
        Assert.True(detail.GetProperty("is_read").GetBoolean());
        Assert.True(detail.GetProperty("is_starred").GetBoolean());

        var folders = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        var inbox = folders.GetProperty("folders").EnumerateArray().First();
        Assert.Equal(2, inbox.GetProperty("total_count").GetInt32());
        Assert.Equal(1, inbox.GetProperty("unread_count").GetInt32());
    }

    [Fact]
    public async Task A_folder_deleted_and_recreated_by_another_client_is_read_anew_and_old_ids_are_gone()
    {
        var box = await MailboxAsync();
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Keep", true, Ct);
        }

        await MailKitTestKit.AppendAsync(box.Address, "Keep", [MailKitTestKit.Message("a@example.com", box.Address, "old one", "old body", "<b>old html</b>")], Ct);
        var old = (await ListAsync(box, "Keep", bodies: true)).Single();
        var oldId = old.GetProperty("id").GetString()!;
        Assert.Equal("<b>old html</b>", (await DetailAsync(box, oldId)).GetProperty("body_html").GetString());
        var oldState = (await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=Keep&include_body=false", Ct), HttpStatusCode.OK))
            .GetProperty("state").GetString()!;

        uint oldValidity, newValidity;
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            var keep = await imap.GetFolderAsync("Keep", Ct);
            await keep.OpenAsync(FolderAccess.ReadOnly, Ct);
            oldValidity = keep.UidValidity;
            await keep.CloseAsync(false, Ct);
            await keep.DeleteAsync(Ct);
            var again = await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Keep", true, Ct);
            await again!.AppendAsync(new AppendRequest(MailKitTestKit.Message("b@example.com", box.Address, "new one", "new body", "<i>new html</i>")), Ct);
            await again.OpenAsync(FolderAccess.ReadOnly, Ct);
            newValidity = again.UidValidity;
            // Same UID as the message of the old folder: only UIDVALIDITY tells them apart.
            Assert.Equal(1u, (await again.SearchAsync(SearchQuery.All, Ct)).Single().Id);
        }

        Assert.NotEqual(oldValidity, newValidity);
        var fresh = (await ListAsync(box, "Keep", bodies: true)).Single();
        Assert.Equal("new one", MailKitTestKit.Subject(fresh));
        Assert.Equal("<i>new html</i>", fresh.GetProperty("body_html").GetString());
        Assert.NotEqual(oldId, fresh.GetProperty("id").GetString());
        Assert.Equal("<i>new html</i>", (await DetailAsync(box, fresh.GetProperty("id").GetString()!)).GetProperty("body_html").GetString());
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/{Uri.EscapeDataString(oldId)}/", Ct), HttpStatusCode.NotFound, "not found");
        Assert.Equal(HttpStatusCode.Gone, (await box.Client.GetAsync($"{Root}/email/changes/?folder=Keep&since={oldState}", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_folder_renamed_by_another_client_is_gone_under_its_old_name()
    {
        var box = await MailboxAsync();
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Before", true, Ct);
        }

        await MailKitTestKit.AppendAsync(box.Address, "Before", [MailKitTestKit.Message("a@example.com", box.Address, "moved along", "x")], Ct);
        Assert.Single(await ListAsync(box, "Before", bodies: true));
        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            await (await imap.GetFolderAsync("Before", Ct)).RenameAsync(imap.GetFolder(imap.PersonalNamespaces[0]), "After", Ct);
        }

        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=Before", Ct), HttpStatusCode.NotFound, "Before");
        Assert.Equal("moved along", MailKitTestKit.Subject((await ListAsync(box, "After", bodies: true)).Single()));
    }

    [Fact]
    public async Task A_cached_message_is_never_served_to_another_mailbox_with_the_same_folder_uidvalidity_and_uid()
    {
        var org = await Api.CreateOrgAsync();
        var alice = await MailboxAsync("alice", org);
        var bob = await MailboxAsync("bob", org);
        foreach (var (box, who) in new[] { (alice, "alice"), (bob, "bob") })
        {
            await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("x@example.com", box.Address, $"for {who}", $"{who} secret", $"<p>{who} html</p>")], Ct);
            // The same UIDVALIDITY in both mailboxes: the API's ids of the two messages are then the same string.
            var (code, output) = await Doveadm.RunAsync("-c", StackSettings.Get("DOVECOT_CONF"), "mailbox", "update", "-u", box.Address, "--uid-validity", "1234567", "INBOX");
            Assert.True(code == 0, output);
        }

        var aliceRow = (await ListAsync(alice, "INBOX", bodies: true)).Single();
        Assert.Equal("alice secret", aliceRow.GetProperty("body_text").GetString()!.Trim());
        var id = aliceRow.GetProperty("id").GetString()!;
        Assert.Equal("<p>alice html</p>", (await DetailAsync(alice, id)).GetProperty("body_html").GetString());

        var bobRow = (await ListAsync(bob, "INBOX", bodies: true)).Single();
        Assert.Equal(id, bobRow.GetProperty("id").GetString());
        Assert.Equal("for bob", MailKitTestKit.Subject(bobRow));
        Assert.Equal("bob secret", bobRow.GetProperty("body_text").GetString()!.Trim());
        Assert.Equal("<p>bob html</p>", bobRow.GetProperty("body_html").GetString());
        var bobDetail = await DetailAsync(bob, id);
        Assert.Equal("for bob", MailKitTestKit.Subject(bobDetail));
        Assert.Equal("<p>bob html</p>", bobDetail.GetProperty("body_html").GetString());
        Assert.Equal("bob", (await ListAsync(bob, "INBOX", bodies: false)).Single().GetProperty("subject").GetString()![4..]);
    }

    private static async Task<List<JsonElement>> ListAsync(Mailbox box, string folder, bool bodies) =>
        (await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder={Uri.EscapeDataString(folder)}&include_body={(bodies ? "true" : "false")}", Ct), HttpStatusCode.OK))
        .GetProperty("messages").EnumerateArray().ToList();

    private static async Task<JsonElement> DetailAsync(Mailbox box, string id) =>
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{Uri.EscapeDataString(id)}/", Ct), HttpStatusCode.OK);
}

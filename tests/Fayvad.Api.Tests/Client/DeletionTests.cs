using Fayvad.Api.Tests.Contract;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.MailServer;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Deletion that loses nothing by accident, end to end on the real stack: a deleted mailbox stops logging in and
/// receiving at once, comes back with its mail on restore, and only after its retention is its mail removed, through
/// Dovecot, and then its rows.
/// </summary>
[Collection(PurgingNodes.Name)]
public sealed class DeletionTests(ApiFactory factory) : DirectoryClientTest(factory)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    /// <summary>The purge job's advisory lock key (Deletion/DeletionPurger.cs).</summary>
    private const long PurgeLockKey = 0x46_61_79_76_50_72_67_65;

    [Fact]
    public async Task A_deleted_mailbox_cannot_log_in_nor_receive_and_a_restore_brings_both_back_with_its_mail()
    {
        var box = await MailboxAsync("gone");
        var userApi = await TokenClientAsync(box.Address);
        using (var before = await FirstLoginAsync(box.Address))
        {
            await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "before"), box.Address, Ct);
            await MailProbe.WaitForSubjectAsync(before, "before", Ct);
        }

        using var open = await MailProbe.ImapAsync(box.Address, TestApi.Password, Ct);
        await open.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);

        var deleted = await OkAsync(box.Admin.DeleteAsync($"{Root}/org/email-accounts/{box.AccountId}/", Ct));
        Assert.True(BoolOf(deleted, "success"));
        Assert.Equal(box.AccountId, IntOf(deleted, "id"));
        Assert.Equal(1, IntOf(deleted, "mailboxes_deleted"));
        Assert.True(Timestamp(deleted, "restorable_until") > DateTimeOffset.UtcNow.AddDays(29));

        // At once: its tokens, new logins (API, IMAP, master user), deliveries; and its open IMAP session is ended.
        await ErrorAsync(userApi.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = TestApi.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
        await MailProbe.ImapLoginIsRefusedAsync(MailProbe.MasterLogin(box.Address), MailProbe.MasterPassword, Ct, because: "Authorization failed");
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "while deleted"), box.Address, Ct));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode); // 550 5.1.1 user unknown
        await Poll.UntilAsync("the deleted mailbox's open IMAP session to be ended", Soon, async () =>
        {
            try
            {
                await open.NoOpAsync(Ct);
                return open.IsConnected;
            }
            catch (Exception e) when (e is IOException or ImapProtocolException or ServiceNotConnectedException or ImapCommandException)
            {
                return false;
            }
        }, connected => !connected, Ct);

        // The address stays reserved for the restore; the admin sees what can be restored.
        await ErrorAsync(PostJsonAsync(box.Admin, "/org/email-accounts/", new { address = box.Address, password = TestApi.Password }),
            HttpStatusCode.Conflict, "restore");
        var listed = BareArray(await OkAsync(box.Admin.GetAsync($"{Root}/org/email-accounts/deleted/", Ct)));
        var entry = ById(listed, box.AccountId) ?? throw new InvalidOperationException("deleted mailbox not listed");
        Assert.Equal(box.Address, TextOf(entry, "name"));
        Assert.Equal("email_account", TextOf(entry, "kind"));

        var restored = await OkAsync(PostJsonAsync(box.Admin, $"/org/email-accounts/{box.AccountId}/restore/", new { }));
        Assert.Equal(1, IntOf(restored, "mailboxes_restored"));
        using var again = await FirstLoginAsync(box.Address);
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "after"), box.Address, Ct);
        await MailProbe.WaitForSubjectAsync(again, "after", Ct);
        var subjects = (await again.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct)).Select(s => s.Envelope!.Subject);
        Assert.Equal(["before", "after"], subjects);
        await TokenClientAsync(box.Address);
        Assert.Null(ById(await OkAsync(box.Admin.GetAsync($"{Root}/org/email-accounts/deleted/", Ct)), box.AccountId));
        await again.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task Deleting_a_user_deletes_its_mailbox_and_tokens_until_restored_within_the_admins_scope()
    {
        var box = await MailboxAsync("user");
        var userApi = await TokenClientAsync(box.Address);
        var other = await Api.CreateOrgAsync();
        var otherAdmin = await TokenClientAsync(other.AdminUsername);

        await ErrorAsync(otherAdmin.DeleteAsync($"{Root}/users/{box.UserId}/", Ct), HttpStatusCode.NotFound);
        await ErrorAsync(userApi.DeleteAsync($"{Root}/users/{box.UserId}/", Ct), HttpStatusCode.Forbidden);
        var adminId = IntOf(await OkAsync(box.Admin.GetAsync($"{Root}/auth/me/", Ct)), "id");
        await ErrorAsync(box.Admin.DeleteAsync($"{Root}/users/{adminId}/", Ct), HttpStatusCode.BadRequest, "your own");
        await ErrorAsync(box.Admin.DeleteAsync($"{Root}/org/email-accounts/999999999/", Ct), HttpStatusCode.NotFound);

        var deleted = await OkAsync(box.Admin.DeleteAsync($"{Root}/users/{box.UserId}/", Ct));
        Assert.Equal("user", TextOf(deleted, "kind"));
        Assert.Equal(1, IntOf(deleted, "mailboxes_deleted"));
        await ErrorAsync(userApi.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", box.Address));
        Assert.NotNull(ById(await OkAsync(box.Admin.GetAsync($"{Root}/users/deleted/", Ct)), box.UserId));
        Assert.Null(ById(await OkAsync(otherAdmin.GetAsync($"{Root}/users/deleted/", Ct)), box.UserId));
        await ErrorAsync(otherAdmin.GetAsync($"{Root}/admin/organizations/deleted/", Ct), HttpStatusCode.Forbidden);

        await ErrorAsync(PostJsonAsync(otherAdmin, $"/users/{box.UserId}/restore/", new { }), HttpStatusCode.NotFound);
        await OkAsync(PostJsonAsync(box.Admin, $"/users/{box.UserId}/restore/", new { }));
        using var imap = await FirstLoginAsync(box.Address);
        await TokenClientAsync(box.Address);
        await ErrorAsync(PostJsonAsync(box.Admin, $"/users/{box.UserId}/restore/", new { }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_restore_brings_back_what_was_deleted_together_and_never_into_a_deleted_parent()
    {
        var superadmin = await SuperadminTokenAsync();
        var org = await Api.CreateOrgAsync();
        var admin = await TokenClientAsync(org.AdminUsername);
        var early = await Api.CreateAccountAsync(admin, "early@" + org.Domain);
        var late = await Api.CreateAccountAsync(admin, "late@" + org.Domain);
        var earlyId = early.GetProperty("id").GetInt64();

        // One mailbox deleted on its own first: the domain then has one left, which needs force.
        await OkAsync(admin.DeleteAsync($"{Root}/org/email-accounts/{earlyId}/", Ct));
        await ErrorAsync(admin.DeleteAsync($"{Root}/domains/{org.DomainId}/", Ct), HttpStatusCode.Conflict, "1 mailbox remains");
        Assert.Equal(1, IntOf(await OkAsync(admin.DeleteAsync($"{Root}/domains/{org.DomainId}/?force=1", Ct)), "mailboxes_deleted"));

        // A mailbox cannot come back into a deleted domain.
        await ErrorAsync(PostJsonAsync(admin, $"/org/email-accounts/{earlyId}/restore/", new { }), HttpStatusCode.Conflict, "domain");
        // The domain comes back with the mailbox deleted with it; the one deleted earlier stays deleted.
        Assert.Equal(1, IntOf(await OkAsync(PostJsonAsync(admin, $"/domains/{org.DomainId}/restore/", new { })), "mailboxes_restored"));
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "late@" + org.Domain));
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "early@" + org.Domain));
        await OkAsync(PostJsonAsync(admin, $"/org/email-accounts/{earlyId}/restore/", new { }));
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "early@" + org.Domain));

        // Nothing comes back into a deleted organization.
        await OkAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/?force=true", Ct));
        await ErrorAsync(PostJsonAsync(superadmin, $"/domains/{org.DomainId}/restore/", new { }), HttpStatusCode.Conflict, "organization");
        await ErrorAsync(PostJsonAsync(superadmin, $"/org/email-accounts/{late.GetProperty("id").GetInt64()}/restore/", new { }), HttpStatusCode.Conflict, "organization");
        var deletedDomains = BareArray(await OkAsync(superadmin.GetAsync($"{Root}/domains/deleted/", Ct)));
        Assert.Equal(org.Id, IntOf(ById(deletedDomains, org.DomainId)!.Value.GetProperty("organization"), "id"));

        // Limits still hold: a restore that would exceed max_users is refused, and changes nothing.
        await OkAsync(PostJsonAsync(superadmin, $"/admin/organizations/{org.Id}/restore/", new { }));
        Assert.Equal(2L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.mail_accounts WHERE domain = $1 AND active", org.Domain));
        await OkAsync(admin.DeleteAsync($"{Root}/org/email-accounts/{earlyId}/", Ct));
        await OkAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new { max_users = 1 }, Ct));
        await ErrorAsync(PostJsonAsync(admin, $"/org/email-accounts/{earlyId}/restore/", new { }), HttpStatusCode.Conflict, "max_users");
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "early@" + org.Domain));

        var plain = await TokenClientAsync("late@" + org.Domain);
        await ErrorAsync(PostJsonAsync(plain, $"/org/email-accounts/{earlyId}/restore/", new { }), HttpStatusCode.Forbidden);
        await ErrorAsync(plain.GetAsync($"{Root}/org/email-accounts/deleted/", Ct), HttpStatusCode.Forbidden);
        await ErrorAsync(plain.GetAsync($"{Root}/domains/deleted/", Ct), HttpStatusCode.Forbidden);
        await ErrorAsync(plain.GetAsync($"{Root}/users/deleted/?page=1", Ct), HttpStatusCode.Forbidden);
        await ErrorAsync(admin.GetAsync($"{Root}/users/deleted/?page=0", Ct), HttpStatusCode.BadRequest, "page");
        await ErrorAsync(PostJsonAsync(admin, "/org/email-accounts/999999999/restore/", new { }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task After_the_retention_the_purge_removes_the_mail_through_dovecot_then_the_rows_and_loses_nothing_on_a_fault()
    {
        var box = await MailboxAsync("purged");
        var inInbox = MailProbe.UniqueSubject("inbox");
        var filed = MailProbe.UniqueSubject("filed");
        using (var imap = await FirstLoginAsync(box.Address))
        {
            await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, inInbox), box.Address, Ct);
            await MailProbe.WaitForSubjectAsync(imap, inInbox, Ct);
            var projects = await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Projects", true, Ct) ?? throw new InvalidOperationException("Projects not created");
            await projects.AppendAsync(MailProbe.NewMessage(box.Address, box.Address, filed), MessageFlags.Seen, Ct);
            // Read both, so Dovecot caches their headers and indexes their text: those copies must go too.
            await projects.OpenAsync(FolderAccess.ReadOnly, Ct);
            await projects.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct);
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
            Assert.Single(await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.SubjectContains(inInbox.Split(' ')[1]), Ct));
            await imap.DisconnectAsync(true, Ct);
        }

        var home = await MailProbe.HomeAsync(box.Address);
        var maildir = Path.Combine(home, "Maildir");
        Assert.Equal(2, MessageFiles(maildir).Count);
        Assert.NotEmpty(FilesMentioning(home, inInbox.Split(' ')[1]));
        Assert.Equal(2, (await DoveadmSearchAsync(box.Address)).Count);

        // 1. A node that cannot reach doveadm: the purge fails each pass, keeps the rows and the mail, and the node lives on.
        var brokenLog = new CapturedLog();
        await using (var broken = Node("http://127.0.0.1:9/doveadm/v1", brokenLog))
        {
            var admin = await NodeTokenClientAsync(broken, box.Org.AdminUsername);
            var deleted = await OkAsync(admin.DeleteAsync($"{Root}/org/email-accounts/{box.AccountId}/", Ct));
            Assert.True(Timestamp(deleted, "restorable_until") - Timestamp(deleted, "deleted_at") <= TimeSpan.FromSeconds(1));
            // Two passes that each kept it (the second proves the first left it for the next).
            await brokenLog.WaitForAsync("DeletionPurger", $"Deleted mailbox {box.Address} is past its retention", 2, Ct);
            Assert.Equal(1L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE id = $1", box.AccountId));
            Assert.Equal(2, MessageFiles(maildir).Count);
            Assert.Equal(HttpStatusCode.OK, (await broken.CreateCheckedClient().GetAsync($"{Root}/health", Ct)).StatusCode);
            // Past its retention, it can no longer be restored.
            await ErrorAsync(PostJsonAsync(admin, $"/org/email-accounts/{box.AccountId}/restore/", new { }), HttpStatusCode.Gone, "retention");
        }

        // 2. One pass at a time across nodes: while another holder has the purge lock, a healthy node waits.
        await using var lockHolder = new NpgsqlConnection(StackSettings.DbConnection);
        await lockHolder.OpenAsync(Ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PurgeLockKey})", lockHolder))
        {
            await take.ExecuteNonQueryAsync(Ct);
        }

        var healthyLog = new CapturedLog();
        await using var healthy = Node(StackSettings.Get("DOVEADM_URL"), healthyLog);
        healthy.CreateCheckedClient().Dispose(); // starts the node and its purge job
        await healthyLog.WaitForAsync("DeletionPurger", "another node holds the purge lock", 2, Ct);
        Assert.Equal(1L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE id = $1", box.AccountId));
        Assert.Equal(2, MessageFiles(maildir).Count);

        // 3. Lock released: the mail goes through Dovecot (messages and the folder of its own), then the rows.
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PurgeLockKey})", lockHolder))
        {
            await release.ExecuteNonQueryAsync(Ct);
        }

        await Poll.UntilAsync("the purge to remove the mailbox's rows", TimeSpan.FromSeconds(30),
            () => ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE id = $1", box.AccountId), n => Equals(n, 0L), Ct);
        Assert.Empty(MessageFiles(maildir));
        // No copy anywhere in the mailbox's home: not in a header cache, not in the full-text index.
        Assert.Empty(FilesMentioning(home, inInbox.Split(' ')[1]));
        Assert.Empty(FilesMentioning(home, filed.Split(' ')[1]));
        Assert.False(System.IO.Directory.Exists(Path.Combine(maildir, ".Projects")), "the mailbox's own folder is deleted");
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.users WHERE id = $1", box.UserId));
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.mailbox_usage WHERE email = $1 AND bytes > 0", box.Address));

        // The address is free again, and a new mailbox of that address starts empty.
        await Api.CreateAccountAsync(box.Admin, box.Address);
        using var fresh = await FirstLoginAsync(box.Address);
        await fresh.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        Assert.Equal(0, fresh.Inbox.Count);
        var folders = await fresh.GetFoldersAsync(fresh.PersonalNamespaces[0], cancellationToken: Ct);
        Assert.DoesNotContain("Projects", folders.Select(f => f.FullName));
        await fresh.DisconnectAsync(true, Ct);
    }

    /// <summary>Another API node on the same stack, with a one-second retention and purge interval.</summary>
    private WebApplicationFactory<Program> Node(string doveadmUrl, CapturedLog? log = null) => Factory.WithWebHostBuilder(builder => builder
        .UseSetting("Directory:Deletion:Retention", "00:00:01")
        .UseSetting("Directory:Deletion:PurgeInterval", "00:00:01")
        .UseSetting("Directory:Deletion:Purge", "true")
        .UseSetting("Logging:LogLevel:Fayvad.Directory.Deletion", "Debug")
        .UseSetting("Mail:Doveadm:Url", doveadmUrl)
        .ConfigureLogging(logging => logging.AddProvider(log ?? new CapturedLog())));

    private static async Task<HttpClient> NodeTokenClientAsync(WebApplicationFactory<Program> node, string username)
    {
        var client = node.CreateCheckedClient();
        client.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, "198.18.250." + Random.Shared.Next(1, 250));
        var login = await OkAsync(client.PostAsJsonAsync($"{Root}/auth/login/", new { username, password = TestApi.Password }, Ct));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", login.GetProperty("token").GetString());
        return client;
    }

    /// <summary>Message files of every folder of a maildir (cur/ and new/).</summary>
    private static List<string> MessageFiles(string maildir) =>
        System.IO.Directory.Exists(maildir)
            ? System.IO.Directory.EnumerateFiles(maildir, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) is "cur" or "new").ToList()
            : [];

    private static List<string> FilesMentioning(string home, string marker)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(marker);
        return System.IO.Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(bytes) >= 0).ToList();
    }

    /// <summary>What Dovecot itself finds in every folder of the mailbox.</summary>
    private static async Task<List<string>> DoveadmSearchAsync(string address)
    {
        var (exit, output) = await Doveadm.RunAsync("-c", StackSettings.Get("DOVECOT_CONF"), "search", "-u", address, "mailbox", "*", "all");
        Assert.True(exit == 0, $"doveadm search: {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static Task<ImapClient> FirstLoginAsync(string address) =>
        Poll.UntilAsync($"IMAP login of {address}", Soon, () => MailProbe.ImapAsync(address, TestApi.Password, Ct), c => c.IsAuthenticated, Ct);
}

/// <summary>
/// Classes that start API nodes with the purge on: such a node purges every organization's deleted rows past their
/// retention, including those another class's test keeps on purpose (a purge that must fail and retry), so they never
/// run side by side.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PurgingNodes
{
    public const string Name = "API nodes that purge";
}

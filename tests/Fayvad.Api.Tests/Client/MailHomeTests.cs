using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Fayvad.Api.Tests.Contract;
using Fayvad.Api.Tests.MailServer;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Where a mailbox's mail lives (issue 19): no address may hold what a path or doveadm reads specially, each new
/// mailbox has a home of its own id (never one built from its address), and the purge of one mailbox leaves every other
/// mailbox's mail alone, also those an older version made with such addresses.
/// </summary>
[Collection(PurgingNodes.Name)]
public sealed partial class MailHomeTests(ApiFactory factory) : DirectoryClientTest(factory)
{
    /// <summary>
    /// Local parts a file path or the mail server would misread, each refused wherever an address is made; and one
    /// (x+tag) that Dovecot refuses as a user name (auth_username_chars), so that mailbox could never log in nor receive.
    /// </summary>
    public static readonly TheoryData<string> PathSignificant =
        ["x/maildir", "x\\maildir", "x%n", "x*", "x?", "~x", "x\0y", "x\ty", ".x", "..", ".", "x+tag"];

    [Theory]
    [MemberData(nameof(PathSignificant))]
    public async Task A_local_part_a_path_could_misread_is_refused_with_the_address_named_everywhere_an_address_is_made(string local)
    {
        var org = await Api.CreateOrgAsync();
        var admin = await TokenClientAsync(org.AdminUsername);
        var superadmin = await SuperadminTokenAsync();
        var address = local + "@" + org.Domain;
        // A NUL in any JSON string is refused before (Shared TextRules, naming the field); the rest name the address.
        var shown = local.Contains('\0', StringComparison.Ordinal) ? "NUL" : local.Replace("\t", "\\u0009", StringComparison.Ordinal) + "@" + org.Domain;
        var password = TestApi.Password;

        // The client's create form, our form, the client server's bare username with a domain, and the bulk create.
        await ErrorAsync(PostJsonAsync(admin, "/org/email-accounts/", new { email = address, password, first_name = "X", last_name = "Y" }),
            HttpStatusCode.BadRequest, shown);
        await ErrorAsync(PostJsonAsync(admin, "/org/email-accounts/", new { address, password }), HttpStatusCode.BadRequest, shown);
        await ErrorAsync(PostJsonAsync(admin, "/org/email-accounts/create/", new { username = local, domain = org.Domain, password }),
            HttpStatusCode.BadRequest, shown.Split('@')[0]);
        var bulk = await ErrorAsync(PostJsonAsync(admin, "/org/email-accounts/bulk-create/", new
        {
            accounts = new object[] { new { username = "fine", email = "fine@" + org.Domain, password }, new { email = address, password } },
        }), HttpStatusCode.BadRequest, shown);
        Assert.Contains("accounts[1]", bulk.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Users and organization admins whose login is the address (it may become a mailbox later).
        await ErrorAsync(PostJsonAsync(admin, "/users/", new { username = address, password, organization_id = org.Id }),
            HttpStatusCode.BadRequest, shown);
        await ErrorAsync(PostJsonAsync(superadmin, "/organization-admins/", new { organization_id = org.Id, email = address, password }),
            HttpStatusCode.BadRequest, shown);

        // Nothing was made.
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE domain_id = $1", org.DomainId));
        Assert.Equal(1L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.users WHERE organization_id = $1", org.Id));
    }

    [Fact]
    public async Task A_new_mailbox_has_a_home_of_its_own_id_and_purging_it_leaves_an_older_mailbox_under_its_old_path_alone()
    {
        var box = await MailboxAsync("x");
        var vmail = Path.Combine(StackSettings.Get("STACK_DIR"), "vmail");

        // The home is '<domain>/@<id>', what Dovecot's userdb answers, not '<domain>/<local part>'.
        var home = (string)(await ApiFactory.ScalarAsync("SELECT mail_home FROM directory.mail_accounts WHERE email = $1", box.Address))!;
        Assert.Matches(NewHome(), home);
        Assert.StartsWith(box.Org.Domain + "/@", home, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(vmail, home), await DovecotHomeAsync(box.Address));
        // Set once: the API has no address rename, and the database refuses to move a home under its mail.
        var moved = await Assert.ThrowsAsync<PostgresException>(() =>
            ApiFactory.ScalarAsync("UPDATE directory.email_accounts SET mail_home = $1 WHERE id = $2", box.Org.Domain + "/x", box.AccountId));
        Assert.Contains("cannot change", moved.MessageText, StringComparison.Ordinal);

        // A mailbox an older version made, whose home '%d/%n' put where x's would have been: '<domain>/x/maildir'.
        // This stack's Dovecot never served it ('/' is not in auth_username_chars: no login, no delivery), so its
        // mail is what another server put there: a message file in its maildir, as LMTP writes one.
        var inner = "x/maildir@" + box.Org.Domain;
        var innerHome = Path.Combine(vmail, box.Org.Domain, "x", "maildir");
        await OlderMailboxAsync(box.UserId, box.Org.DomainId, inner, box.Org.Domain + "/x/maildir");
        Assert.False(innerHome.StartsWith(Path.Combine(vmail, home) + "/", StringComparison.Ordinal));
        // Mail for x, in its INBOX and in a folder of its own; read, so Dovecot indexes and caches it.
        var toOuter = MailProbe.UniqueSubject("outer");
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, toOuter), box.Address, Ct);
        using (var outer = await FirstLoginAsync(box.Address, TestApi.Password))
        {
            await MailProbe.WaitForSubjectAsync(outer, toOuter, Ct);
            var folder = await outer.GetFolder(outer.PersonalNamespaces[0]).CreateAsync("maildir", true, Ct) ?? throw new InvalidOperationException("folder not created");
            await folder.AppendAsync(MailProbe.NewMessage(box.Address, box.Address, "filed"), MessageFlags.Seen, Ct);
            await outer.DisconnectAsync(true, Ct);
        }

        Assert.Equal(2, MessageFiles(Path.Combine(vmail, home, "Maildir")).Count);

        // Written once Dovecot has made the domain's folder (as the mail user), so this test's files own none of x's path.
        var innerMessage = Path.Combine(innerHome, "Maildir", "new", "1765000000.M1P1.older,S=64");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(innerMessage)!);
        var innerBytes = "From: someone@example.net\r\nSubject: inner\r\n\r\nkept\r\n"u8.ToArray();
        await File.WriteAllBytesAsync(innerMessage, innerBytes, Ct);

        // x is deleted, and purged after its retention: through Dovecot, in x's home.
        await PurgeAsync(box.Org.AdminUsername, box.AccountId);
        Assert.Empty(MessageFiles(Path.Combine(vmail, home, "Maildir")));

        // The other mailbox is whole.
        Assert.Equal([innerMessage], MessageFiles(Path.Combine(innerHome, "Maildir")));
        Assert.Equal(innerBytes, await File.ReadAllBytesAsync(innerMessage, Ct));
    }

    [Fact]
    public async Task Purging_an_older_mailbox_whose_address_holds_a_doveadm_mask_never_empties_the_mailboxes_it_matches()
    {
        // "x*@domain" made by an older version: doveadm reads "-u x*@domain" as every user it matches, so its purge
        // would have emptied xyz's mailbox.
        var xyz = await MailboxAsync("xyz");
        var masked = "x*@" + xyz.Org.Domain;
        var maskedId = await OlderMailboxAsync(xyz.UserId, xyz.Org.DomainId, masked, xyz.Org.Domain + "/x*");
        var subject = MailProbe.UniqueSubject("kept");
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, xyz.Address, subject), xyz.Address, Ct);
        using (var reader = await FirstLoginAsync(xyz.Address, TestApi.Password))
        {
            await MailProbe.WaitForSubjectAsync(reader, subject, Ct);
            await reader.DisconnectAsync(true, Ct);
        }

        // Deleted, past its retention: the purge keeps it (an operator's job) rather than hand doveadm the mask.
        var log = new CapturedLog();
        await using var node = Node(log);
        var admin = await NodeTokenClientAsync(node, xyz.Org.AdminUsername);
        await OkAsync(admin.DeleteAsync($"{Root}/org/email-accounts/{maskedId}/", Ct));
        await log.WaitForAsync("DeletionPurger", $"Deleted mailbox {masked} is past its retention", 2, Ct);
        Assert.Equal(1L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE id = $1", maskedId));

        Assert.Equal([subject], await InboxSubjectsAsync(xyz.Address));
        using var imap = await FirstLoginAsync(xyz.Address, TestApi.Password);
        await imap.DisconnectAsync(true, Ct);
    }

    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    [GeneratedRegex("^[a-z0-9.-]+/@[0-9a-f]{32}$")]
    private static partial Regex NewHome();

    /// <summary>
    /// Makes by SQL what the API now refuses: a mailbox (and its user, with the template user's password) as an older
    /// version made it, with its home where '%d/%n' put it. Its id.
    /// </summary>
    private static async Task<long> OlderMailboxAsync(long templateUserId, long domainId, string address, string mailHome)
    {
        await using var connection = new NpgsqlConnection(StackSettings.DbConnection);
        await connection.OpenAsync(Ct);
        await using var insert = new NpgsqlCommand("""
            WITH u AS (
                INSERT INTO directory.users (username, email, first_name, last_name, role, organization_id, password_hash, is_active, created_at)
                SELECT $1, $1, '', '', 'user', organization_id, password_hash, true, now() FROM directory.users WHERE id = $2
                RETURNING id)
            INSERT INTO directory.email_accounts (user_id, domain_id, local_part, address, display_name, quota_mb, enabled, created_at, mail_home)
            SELECT u.id, $3, $4, $1, '', 0, true, now(), $5 FROM u
            RETURNING id
            """, connection);
        insert.Parameters.AddWithValue(address);
        insert.Parameters.AddWithValue(templateUserId);
        insert.Parameters.AddWithValue(domainId);
        insert.Parameters.AddWithValue(address[..address.LastIndexOf('@')]);
        insert.Parameters.AddWithValue(mailHome);
        return (long)(await insert.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Deletes the mailbox on a node with a one-second retention and waits until the purge removed its rows.</summary>
    private async Task PurgeAsync(string adminUsername, long accountId)
    {
        await using var node = Node();
        var admin = await NodeTokenClientAsync(node, adminUsername);
        await OkAsync(admin.DeleteAsync($"{Root}/org/email-accounts/{accountId}/", Ct));
        await Poll.UntilAsync("the purge to remove the mailbox's rows", TimeSpan.FromSeconds(30),
            () => ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE id = $1", accountId), n => Equals(n, 0L), Ct);
    }

    /// <summary>Another API node on the same stack, with a one-second retention and purge interval.</summary>
    private WebApplicationFactory<Program> Node(CapturedLog? log = null) => Factory.WithWebHostBuilder(builder => builder
        .UseSetting("Directory:Deletion:Retention", "00:00:01")
        .UseSetting("Directory:Deletion:PurgeInterval", "00:00:01")
        .UseSetting("Directory:Deletion:Purge", "true")
        .ConfigureLogging(logging => logging.AddProvider(log ?? new CapturedLog())));

    private static async Task<HttpClient> NodeTokenClientAsync(WebApplicationFactory<Program> node, string username)
    {
        var client = node.CreateCheckedClient();
        client.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, "198.18.251." + Random.Shared.Next(1, 250));
        var login = await OkAsync(client.PostAsJsonAsync($"{Root}/auth/login/", new { username, password = TestApi.Password }, Ct));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", login.GetProperty("token").GetString());
        return client;
    }

    /// <summary>The subjects of the mailbox's INBOX over IMAP (as the API reads it: Dovecot's master user).</summary>
    private static async Task<List<string>> InboxSubjectsAsync(string address)
    {
        using var imap = await FirstLoginAsync(MailProbe.MasterLogin(address), MailProbe.MasterPassword);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var subjects = imap.Inbox.Count == 0 ? [] : (await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct)).Select(s => s.Envelope!.Subject ?? "").ToList();
        await imap.DisconnectAsync(true, Ct);
        return subjects;
    }

    private static async Task<string> DovecotHomeAsync(string address)
    {
        var (exit, output) = await Doveadm.RunAsync("-c", StackSettings.Get("DOVECOT_CONF"), "user", "-f", "home", address);
        Assert.True(exit == 0, $"doveadm user: {output}");
        return output.Trim();
    }

    private static List<string> MessageFiles(string maildir) =>
        System.IO.Directory.Exists(maildir)
            ? System.IO.Directory.EnumerateFiles(maildir, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) is "cur" or "new").ToList()
            : [];

    private static Task<ImapClient> FirstLoginAsync(string login, string password) =>
        Poll.UntilAsync($"IMAP login of {login}", Soon, () => MailProbe.ImapAsync(login, password, Ct), c => c.IsAuthenticated, Ct);
}

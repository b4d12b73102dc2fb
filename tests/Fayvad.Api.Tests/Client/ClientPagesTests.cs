using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MimeKit;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Each page of the fayvad_mail Django client (commit dc33da3), walked with exactly the calls that page makes: its
/// paths with the trailing slash, no query where it sends none, <c>Authorization: Token</c>, its bodies, and the
/// statuses and fields it reads (shared/client-contract.md). A page that would crash or show zeros fails here.
/// </summary>
public sealed class ClientPagesTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Login_page_gets_exactly_200_and_a_token_for_a_bare_username_and_for_a_mailbox_address()
    {
        var service = await DirectCallerAsync();
        Assert.NotNull(service);

        var box = await MailboxAsync("login");
        var (_, login) = await ClientLoginAsync(box.Address, TestApi.Password);
        Assert.True(login.GetProperty("email_authenticated").GetBoolean());

        // Anything but 200 is "email not authenticated" to the login view: a wrong password must not be 200.
        var wrong = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = "not-the-password" }, Ct);
        Assert.NotEqual(HttpStatusCode.OK, wrong.StatusCode);
    }

    [Fact]
    public async Task Admin_portal_organization_pages_create_edit_list_detail_and_delete()
    {
        var service = await DirectCallerAsync();
        var name = ApiFactory.RunPrefix + "acme";
        var domainName = name + ".test";

        // Create form (class view): 2xx and an integer id, or the view reports failure.
        var created = await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/admin/organizations/",
            new { name, domain_name = domainName, max_users = 5, max_storage_gb = 2, is_active = true }, Ct), HttpStatusCode.Created);
        var id = IntegerId(created);
        Assert.Equal(name, created.GetProperty("name").GetString());

        // Edit form: prefilled from GET by id, then all five fields sent back.
        var detail = await TestApi.ReadAsync(await service.GetAsync($"{Root}/admin/organizations/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal(domainName, detail.GetProperty("domain_name").GetString());
        Assert.Equal(5, detail.GetProperty("max_users").GetInt32());
        Assert.Equal(2, detail.GetProperty("max_storage_gb").GetInt32());
        Assert.True(detail.GetProperty("is_active").GetBoolean());
        var edited = await service.PatchAsJsonAsync($"{Root}/admin/organizations/{id}/",
            new { name, domain_name = domainName, max_users = 7, max_storage_gb = 3, is_active = detail.GetProperty("is_active").GetBoolean() }, Ct);
        Assert.True(edited.IsSuccessStatusCode, $"edit: {(int)edited.StatusCode}");

        // Org-admin "create user" (direct call): exactly 201.
        var staff = "staff@" + domainName;
        await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = staff, password = TestApi.Password, first_name = "Jane", last_name = "Staff" }, Ct), HttpStatusCode.Created);

        // Dashboard and organization list (direct calls): exactly 200 and a bare array.
        var organizations = await DirectListAsync(service, "admin/organizations/");
        var mine = organizations.Single(o => o.GetProperty("id").GetInt64() == id);
        Assert.All(organizations, o => IntegerId(o));
        Assert.Equal(JsonValueKind.True, mine.GetProperty("is_active").ValueKind);
        Assert.Equal(domainName, mine.GetProperty("domain_name").GetString());
        Assert.Equal(1, mine.GetProperty("current_users").GetInt32());
        Assert.Equal(7, mine.GetProperty("max_users").GetInt32());
        Assert.Equal(3, mine.GetProperty("max_storage_gb").GetInt32());
        var usage = mine.GetProperty("storage_usage");
        Assert.Equal(3 * 1024, usage.GetProperty("limit_mb").GetDouble());
        Assert.Equal(JsonValueKind.Number, usage.GetProperty("used_mb").ValueKind);
        Assert.InRange(usage.GetProperty("percentage").GetDouble(), 0, 100);
        Assert.True(DateTimeOffset.TryParse(mine.GetProperty("created_at").GetString(), CultureInfo.InvariantCulture, out _));

        // Organization detail page: the domain whose name is the organization's domain_name, and the account rows.
        var domains = await DirectListAsync(service, "domains/");
        Assert.Single(domains, d => d.GetProperty("name").GetString() == domainName);
        var accounts = await DirectListAsync(service, "org/email-accounts/");
        var row = accounts.Single(a => a.GetProperty("email").GetString() == staff);
        IntegerId(row);
        Assert.Equal("Jane", row.GetProperty("first_name").GetString());
        Assert.Equal("Staff", row.GetProperty("last_name").GetString());
        Assert.Equal(JsonValueKind.Number, row.GetProperty("usage_mb").ValueKind);
        Assert.True(row.GetProperty("usage_mb").TryGetInt64(out _), "usage_mb is an integer (MB)");
        Assert.True(row.GetProperty("quota").TryGetInt32(out var quotaMb) && quotaMb > 0 && quotaMb < 1024 * 1024, "quota is MB");
        Assert.All(accounts, a => Assert.Equal(JsonValueKind.String, a.GetProperty("first_name").ValueKind));

        // Delete: an organization that still has mailboxes is not deleted by accident...
        var refused = await service.DeleteAsync($"{Root}/admin/organizations/{id}/", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        await TestApi.ReadAsync(await service.GetAsync($"{Root}/admin/organizations/{id}/", Ct), HttpStatusCode.OK);

        // ...while an empty one goes at once, and is no longer listed.
        var emptyName = ApiFactory.RunPrefix + "empty";
        var empty = IntegerId(await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/admin/organizations/",
            new { name = emptyName, domain_name = emptyName + ".test", max_users = 1, max_storage_gb = 1, is_active = true }, Ct), HttpStatusCode.Created));
        var deleted = await service.DeleteAsync($"{Root}/admin/organizations/{empty}/", Ct);
        Assert.True(deleted.IsSuccessStatusCode, $"delete: {(int)deleted.StatusCode}");
        Assert.DoesNotContain(await DirectListAsync(service, "admin/organizations/"), o => o.GetProperty("id").GetInt64() == empty);
        await TestApi.AssertErrorAsync(await service.GetAsync($"{Root}/admin/organizations/{empty}/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_portal_domain_pages_list_create_toggle_and_delete()
    {
        var service = await DirectCallerAsync();
        var name = ApiFactory.RunPrefix + "dom-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)) + ".test";

        // Create form: no organization id, the four booleans always true.
        var created = await service.PostAsJsonAsync($"{Root}/domains/",
            new { name, enabled = true, type = "domain", quota = 2048, default_mailbox_quota = 200, antivirus = true, antispam = true, dkim_enabled = true }, Ct);
        Assert.True(created.IsSuccessStatusCode, $"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal(name, (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("name").GetString());

        var listed = await DirectListAsync(service, "domains/");
        var domain = listed.Single(d => d.GetProperty("name").GetString() == name);
        var id = IntegerId(domain);
        Assert.True(domain.GetProperty("enabled").GetBoolean());
        Assert.False(string.IsNullOrEmpty(domain.GetProperty("organization").GetProperty("name").GetString()));
        Assert.Equal(0, domain.GetProperty("total_mailboxes").GetInt32());
        Assert.Equal(2048, domain.GetProperty("quota").GetInt32());
        Assert.Equal(200, domain.GetProperty("default_mailbox_quota").GetInt32());
        foreach (var flag in new[] { "dkim_enabled", "antivirus", "antispam" })
        {
            Assert.Equal(JsonValueKind.True, domain.GetProperty(flag).ValueKind);
        }

        Assert.True(DateTimeOffset.TryParse(domain.GetProperty("created_at").GetString(), CultureInfo.InvariantCulture, out _));

        // Toggle button: PATCH {} flips enabled; the view then reads enabled and name.
        Assert.True((await service.PatchAsJsonAsync($"{Root}/domains/{id}/toggle/", new { }, Ct)).IsSuccessStatusCode);
        var toggled = await TestApi.ReadAsync(await service.GetAsync($"{Root}/domains/{id}/", Ct), HttpStatusCode.OK);
        Assert.False(toggled.GetProperty("enabled").GetBoolean());
        Assert.Equal(name, toggled.GetProperty("name").GetString());
        Assert.True((await service.PatchAsJsonAsync($"{Root}/domains/{id}/toggle/", new { }, Ct)).IsSuccessStatusCode);
        Assert.True((await TestApi.ReadAsync(await service.GetAsync($"{Root}/domains/{id}/", Ct), HttpStatusCode.OK)).GetProperty("enabled").GetBoolean());

        // Delete button: 2xx, then the domain is gone from the list.
        var deleted = await service.DeleteAsync($"{Root}/domains/{id}/", Ct);
        Assert.True(deleted.IsSuccessStatusCode, $"delete: {(int)deleted.StatusCode}");
        Assert.DoesNotContain(await DirectListAsync(service, "domains/"), d => d.GetProperty("id").GetInt64() == id);

        // A domain type the API cannot serve is refused, naming the field.
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/domains/",
            new { name = "x" + name, enabled = true, type = "relaydomain", quota = 0, default_mailbox_quota = 0, antivirus = true, antispam = true, dkim_enabled = true }, Ct),
            HttpStatusCode.BadRequest, "type");
    }

    [Fact]
    public async Task Org_admin_pages_dashboard_users_and_domain_with_the_service_account()
    {
        var service = await DirectCallerAsync();
        var org = await Api.CreateOrgAsync();
        foreach (var local in new[] { "zoe", "adam", "mike" })
        {
            var response = await service.PostAsJsonAsync($"{Root}/org/email-accounts/",
                new { email = $"{local}@{org.Domain}", password = TestApi.Password, first_name = local, last_name = "Org" }, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // The create form's failure path reads "error" from the body.
        var duplicate = await service.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "zoe@" + org.Domain, password = TestApi.Password, first_name = "z", last_name = "z" }, Ct);
        Assert.NotEqual(HttpStatusCode.Created, duplicate.StatusCode);
        Assert.False(string.IsNullOrEmpty((await duplicate.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()));

        // Users page: sorted by email, 20 a page, links built from the integer id; role tested for org_admin.
        var accounts = (await DirectListAsync(service, "org/email-accounts/")).Where(a => a.GetProperty("email").GetString()!.EndsWith("@" + org.Domain, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, accounts.Count);
        foreach (var account in accounts)
        {
            IntegerId(account);
            Assert.Equal(account.GetProperty("email").GetString(), account.GetProperty("username").GetString());
            Assert.Equal(JsonValueKind.String, account.GetProperty("role").ValueKind);
            Assert.True(account.GetProperty("is_active").GetBoolean());
        }

        // Domain page: the organization's domain, with created_at.
        var domain = (await DirectListAsync(service, "domains/")).Single(d => d.GetProperty("name").GetString() == org.Domain);
        Assert.True(DateTimeOffset.TryParse(domain.GetProperty("created_at").GetString(), CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Inbox_and_message_page_list_mark_unread_delete_and_the_fixed_folders()
    {
        var box = await MailboxAsync("inbox");
        var client = await ClientSessionAsync(box.Address, TestApi.Password);
        var messages = Enumerable.Range(1, 52).Select(i =>
        {
            var message = MailKitTestKit.Message("sender@example.net", box.Address, $"Note {i:D2}", $"Body of note {i}");
            if (i == 52)
            {
                message.MessageId = "slash/in/id@example.net"; // a '/' would break the client's /mail/email/<message_id>/ URL
            }

            return message;
        }).ToList();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", messages, Ct);

        // The inbox sends neither page nor limit: 50 newest, as an object with "messages".
        var inbox = await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/?folder=INBOX", Ct), HttpStatusCode.OK);
        var items = inbox.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(50, items.Count);
        Assert.Equal("Note 52", items[0].GetProperty("subject").GetString());
        foreach (var item in items)
        {
            var messageId = item.GetProperty("message_id").GetString();
            Assert.False(string.IsNullOrEmpty(messageId));
            Assert.DoesNotContain('/', messageId);
            foreach (var field in new[] { "from_display", "subject", "snippet", "sender", "body_text", "date_received" })
            {
                Assert.Equal(JsonValueKind.String, item.GetProperty(field).ValueKind);
            }

            Assert.True(DateTimeOffset.TryParse(item.GetProperty("date_received").GetString(), CultureInfo.InvariantCulture, out _));
            Assert.Contains(item.GetProperty("is_read").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Assert.Contains(item.GetProperty("has_attachments").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        }

        // The inbox's fixed folders other than Drafts reach the API by these names.
        foreach (var folder in new[] { "Sent", "Trash", "Spam" })
        {
            var list = await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/?folder={folder}", Ct), HttpStatusCode.OK);
            Assert.Equal(JsonValueKind.Array, list.GetProperty("messages").ValueKind);
        }

        // Message page buttons pass the list item's message_id, unchanged, as the only id.
        var target = items.First(i => i.GetProperty("subject").GetString() == "Note 40");
        var messageIdOfTarget = target.GetProperty("message_id").GetString()!;
        Assert.True((await client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "mark_read", ids = new[] { messageIdOfTarget } }, Ct)).IsSuccessStatusCode);
        Assert.True(await IsReadAsync(client, "Note 40"));
        Assert.True((await client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "mark_unread", ids = new[] { messageIdOfTarget } }, Ct)).IsSuccessStatusCode);
        Assert.False(await IsReadAsync(client, "Note 40"));

        Assert.True((await client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "delete", ids = new[] { messageIdOfTarget } }, Ct)).IsSuccessStatusCode);
        Assert.DoesNotContain(await MailKitTestKit.ListAsync(client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == "Note 40");
        await MailKitTestKit.WaitForMessageAsync(client, "Trash", m => MailKitTestKit.Subject(m) == "Note 40", Ct, seconds: 5);

        // Move: folder is the destination; Spam is the Junk folder.
        var other = items.First(i => i.GetProperty("subject").GetString() == "Note 41").GetProperty("message_id").GetString();
        Assert.True((await client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "move", ids = new[] { other }, folder = "Spam" }, Ct)).IsSuccessStatusCode);
        await MailKitTestKit.WaitForMessageAsync(client, "Spam", m => MailKitTestKit.Subject(m) == "Note 41", Ct, seconds: 5);
        using var imap = await MailKitTestKit.OpenAsync(box.Address, Ct);
        var junk = imap.GetFolder(SpecialFolder.Junk)!;
        await junk.OpenAsync(FolderAccess.ReadOnly, Ct);
        Assert.Equal(1, junk.Count);
    }

    [Fact]
    public async Task Compose_page_sends_the_editors_html_as_html_with_a_plain_text_part()
    {
        var org = await Api.CreateOrgAsync();
        var sender = await MailboxAsync("writer", org);
        var recipient = await MailboxAsync("reader", org);
        var client = await ClientSessionAsync(sender.Address, TestApi.Password);
        var subject = Unique("Compose");

        var response = await client.PostAsJsonAsync($"{Root}/email/send/", new
        {
            to_emails = new[] { recipient.Address },
            cc_emails = Array.Empty<string>(),
            bcc_emails = Array.Empty<string>(),
            subject,
            body = "<p>Hello <strong>Jane</strong>,</p><p>See you at 10.</p>",
        }, Ct);
        var sent = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.True(sent.GetProperty("sent").GetBoolean());

        await MailKitTestKit.WaitForMessageAsync(recipient.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
        using var imap = await MailKitTestKit.OpenAsync(recipient.Address, Ct);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var uid = (await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.SubjectContains(subject), Ct)).Single();
        var message = await imap.Inbox.GetMessageAsync(uid, Ct);
        Assert.IsType<MultipartAlternative>(message.Body);
        Assert.Contains("<strong>Jane</strong>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Hello Jane,", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<p>", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_routes_of_the_client_drafts_uploads_and_check_new_answer_in_its_shapes()
    {
        var box = await MailboxAsync("drafter");
        var client = await ClientSessionAsync(box.Address, TestApi.Password);

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent("minutes of the meeting"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(file, "file", "minutes.txt");
        var uploaded = await TestApi.ReadAsync(await client.PostAsync($"{Root}/email/attachments/upload/", form, Ct), HttpStatusCode.OK);
        Assert.True(uploaded.GetProperty("uploaded").GetBoolean());
        var attachmentId = IntegerId(uploaded, "attachment_id");

        var saved = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/email/drafts/save/", new
        {
            to_recipients = new[] { "someone@" + box.Org.Domain },
            cc_recipients = Array.Empty<string>(),
            bcc_recipients = Array.Empty<string>(),
            subject = "Draft subject",
            body = "Draft body",
            attachment_ids = new[] { attachmentId },
        }, Ct), HttpStatusCode.OK);
        var draftId = IntegerId(saved);

        var drafts = await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK);
        var draft = drafts.GetProperty("drafts").EnumerateArray().Single(d => d.GetProperty("id").GetInt64() == draftId);
        Assert.Equal("Draft subject", draft.GetProperty("subject").GetString());
        Assert.Equal("someone@" + box.Org.Domain, draft.GetProperty("to_recipients")[0].GetString());

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"{Root}/email/drafts/{draftId}/delete/", Ct)).StatusCode);
        Assert.Empty((await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/drafts/", Ct), HttpStatusCode.OK)).GetProperty("drafts").EnumerateArray());

        var check = await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/check-new/?folder=INBOX", Ct), HttpStatusCode.OK);
        Assert.Contains(check.GetProperty("has_new").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.True(check.GetProperty("unread_count").TryGetInt32(out _));
        Assert.True(check.GetProperty("total_count").TryGetInt32(out _));
        Assert.Equal("INBOX", check.GetProperty("folder").GetString());
    }

    /// <summary>A direct-call page: logs in as the service account (bare username) on every load.</summary>
    private async Task<HttpClient> DirectCallerAsync()
    {
        var username = StackSettings.Get("DEMO_SERVICE_USER");
        Assert.DoesNotContain('@', username);
        return (await ClientLoginAsync(username, StackSettings.Get("DEMO_SERVICE_PASSWORD"))).Client;
    }

    private async Task<HttpClient> ClientSessionAsync(string username, string password) => (await ClientLoginAsync(username, password)).Client;

    /// <summary>The login view: exactly 200 and a token, then every call carries "Token" and the client's User-Agent.</summary>
    private async Task<(HttpClient Client, JsonElement Login)> ClientLoginAsync(string username, string password)
    {
        var client = Api.Anonymous();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("FayvadMail/1.0");
        var response = await client.PostAsJsonAsync($"{Root}/auth/login/", new { username, password }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var login = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var token = login.GetProperty("token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
        if (login.TryGetProperty("email_authenticated", out var emailAuthenticated))
        {
            Assert.Contains(emailAuthenticated.ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        }

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        return (client, login);
    }

    /// <summary>What the direct-call pages accept: exactly 200 and a bare JSON array.</summary>
    private static async Task<List<JsonElement>> DirectListAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync($"{Root}/{path}", TestContext.Current.CancellationToken);
        var body = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        return body.EnumerateArray().ToList();
    }

    private static long IntegerId(JsonElement element, string name = "id")
    {
        var id = element.GetProperty(name);
        Assert.Equal(JsonValueKind.Number, id.ValueKind);
        Assert.True(id.TryGetInt64(out var value), $"{name} is an integer");
        return value;
    }

    private static async Task<bool> IsReadAsync(HttpClient client, string subject) =>
        (await MailKitTestKit.ListAsync(client, "INBOX", TestContext.Current.CancellationToken, "&include_body=false"))
        .Single(m => MailKitTestKit.Subject(m) == subject).GetProperty("is_read").GetBoolean();
}

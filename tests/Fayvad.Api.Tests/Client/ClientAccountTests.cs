using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>Email accounts as the client's admin and org-admin pages, and its server's aliases, use them.</summary>
public sealed class ClientAccountTests(ApiFactory factory) : ApiTest(factory)
{
    private async Task<long> CreateMailboxAsync(HttpClient admin, string email, string first = "", string last = "")
    {
        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email, password = TestApi.Password, first_name = first, last_name = last }, Ct), HttpStatusCode.Created);
        return created.WholeNumber("id");
    }

    [Fact]
    public async Task Direct_call_pages_log_in_as_the_bare_username_service_account_and_read_bare_arrays()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var id = await CreateMailboxAsync(admin, "flow@" + org.Domain, "Flo", "Wing");

        // The page's login: {username, password} with a bare username; exactly 200 with a token.
        var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/",
            new { username = StackSettings.Get("DEMO_SERVICE_USER"), password = StackSettings.Get("DEMO_SERVICE_PASSWORD") }, Ct);
        var body = await TestApi.ReadAsync(login, HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(body.Text("token")));
        Assert.False(body.Flag("email_authenticated"));

        var service = await Api.ServiceAccountAsync();
        // No parameter: the system admin gets every account.
        var accounts = await DjangoCalls.BareArrayAsync(await service.GetAsync($"{Root}/org/email-accounts/", Ct));
        var account = accounts.ById(id);
        Assert.Equal("flow@" + org.Domain, account.Text("email"));
        Assert.Equal("Flo", account.Text("first_name"));
        Assert.Equal("Wing", account.Text("last_name"));
        Assert.Contains(accounts.EnumerateArray(), a => a.Text("email") == StackSettings.Get("DEMO_USER_USER"));

        var organizations = await DjangoCalls.BareArrayAsync(await service.GetAsync($"{Root}/admin/organizations/", Ct));
        Assert.Equal("Org " + org.Slug, organizations.ById(org.Id).Text("name"));

        // The domain list's shape belongs to the organizations/domains work; here: the service account reads it with 200.
        await TestApi.ReadAsync(await service.GetAsync($"{Root}/domains/", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Org_admin_list_has_the_clients_fields_types_and_units_and_only_their_organization()
    {
        var org = await Api.CreateOrgAsync(defaultQuotaMb: 300);
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        var id = await CreateMailboxAsync(admin, "list.me@" + org.Domain, "List", "");
        await CreateMailboxAsync(otherAdmin, "hidden@" + other.Domain);
        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, 52428800, 3)", "list.me@" + org.Domain);

        var list = await DjangoCalls.BareArrayAsync(await admin.GetAsync($"{Root}/org/email-accounts/", Ct));
        Assert.Equal(["list.me@" + org.Domain], list.EnumerateArray().Select(a => a.Text("email")));
        var account = list.ById(id);
        Assert.Equal("List", account.Text("first_name"));
        Assert.Equal("", account.Text("last_name"));
        Assert.Equal("list.me@" + org.Domain, account.Text("username"));
        Assert.Equal("user", account.Text("role"));
        Assert.True(account.Flag("is_active"));
        Assert.Equal(50, account.WholeNumber("usage_mb"));
        Assert.Equal(300, account.WholeNumber("quota"));
        Assert.Equal(300, account.WholeNumber("quota_mb"));

        var user = await Api.TokenClientAsync("list.me@" + org.Domain);
        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Superadmin_may_still_filter_by_organization_and_page_on_request()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "p1@" + org.Domain);
        await CreateMailboxAsync(admin, "p2@" + org.Domain);
        var service = await Api.ServiceAccountAsync();

        var filtered = await DjangoCalls.BareArrayAsync(await service.GetAsync($"{Root}/org/email-accounts/?organization={org.Id}", Ct));
        Assert.Equal(new[] { "p1@" + org.Domain, "p2@" + org.Domain }, filtered.EnumerateArray().Select(a => a.Text("email")));

        var page = await TestApi.ReadAsync(await service.GetAsync($"{Root}/org/email-accounts/?organization={org.Id}&page_size=1", Ct), HttpStatusCode.OK);
        Assert.Equal(2, page.WholeNumber("count"));
        Assert.Equal("p1@" + org.Domain, page.GetProperty("results")[0].Text("email"));
        Assert.Contains("page=2", page.Text("next"), StringComparison.Ordinal);

        await TestApi.AssertErrorAsync(await service.GetAsync($"{Root}/org/email-accounts/?organization=999999999", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/org/email-accounts/?page=0", Ct), HttpStatusCode.BadRequest, "page");
    }

    [Fact]
    public async Task The_create_page_body_gives_exactly_201_and_a_mailbox_that_logs_in()
    {
        var org = await Api.CreateOrgAsync(defaultQuotaMb: 250);
        var admin = await Api.TokenClientAsync(org.AdminUsername);

        var response = await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "page.user@" + org.Domain, password = TestApi.Password, first_name = "Page", last_name = "User" }, Ct);
        var created = await TestApi.ReadAsync(response, HttpStatusCode.Created);
        Assert.Equal("page.user@" + org.Domain, created.Text("email"));
        Assert.Equal("Page", created.Text("first_name"));
        Assert.Equal(250, created.WholeNumber("quota"));
        Assert.True(created.WholeNumber("id") > 0);

        var (_, login) = await Api.LoginAsync("page.user@" + org.Domain, TestApi.Password);
        Assert.True(login.Flag("email_authenticated"));

        // A superadmin's request: the address's domain decides the organization.
        var service = await Api.ServiceAccountAsync();
        var bySuperadmin = await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "by.service@" + org.Domain, password = TestApi.Password, first_name = "", last_name = "" }, Ct), HttpStatusCode.Created);
        Assert.Equal(org.Id, bySuperadmin.WholeNumber("organization_id"));
    }

    [Fact]
    public async Task The_create_page_failures_are_4xx_with_an_error_the_page_shows()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "taken@" + org.Domain);

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "x@" + other.Domain, password = TestApi.Password, first_name = "", last_name = "" }, Ct), HttpStatusCode.BadRequest, "not one of your organization");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "taken@" + org.Domain, password = TestApi.Password, first_name = "", last_name = "" }, Ct), HttpStatusCode.Conflict, "taken");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "nopass@" + org.Domain, first_name = "", last_name = "" }, Ct), HttpStatusCode.BadRequest, "password");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "not-an-address", password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "email");

        var user = await Api.TokenClientAsync("taken@" + org.Domain);
        await TestApi.AssertErrorAsync(await user.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "y@" + org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.Forbidden);
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.email_accounts WHERE address IN ($1, $2)", "y@" + org.Domain, "nopass@" + org.Domain));
    }

    [Fact]
    public async Task The_servers_create_alias_takes_a_username_and_the_organizations_domain()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 1, defaultQuotaMb: 120);
        var admin = await Api.TokenClientAsync(org.AdminUsername);

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/create/",
            new { email = "no.username@" + org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "username");

        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/create/",
            new { username = "jdoe", password = TestApi.Password, first_name = "J", last_name = "Doe" }, Ct), HttpStatusCode.Created);
        Assert.Equal("jdoe@" + org.Domain, created.Text("email"));
        Assert.Equal("J", created.Text("first_name"));
        Assert.Equal("Doe", created.Text("last_name"));
        Assert.Equal(120, created.WholeNumber("quota_mb"));
        Assert.True(created.Flag("is_active"));
        created.Instant("created_at");

        // max_users (1) is reached.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/create/",
            new { username = "second", domain = org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "limit");
        // An email that is not username@domain cannot be honoured.
        var roomy = await Api.CreateOrgAsync();
        var roomyAdmin = await Api.TokenClientAsync(roomy.AdminUsername);
        await TestApi.AssertErrorAsync(await roomyAdmin.PostAsJsonAsync($"{Root}/org/email-accounts/create/",
            new { username = "ann", email = "ann@elsewhere.test", password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "email");
        var withQuota = await TestApi.ReadAsync(await roomyAdmin.PostAsJsonAsync($"{Root}/org/email-accounts/create/",
            new { username = "ann", email = "ann@" + roomy.Domain, domain = roomy.Domain, password = TestApi.Password, quota_mb = 40 }, Ct), HttpStatusCode.Created);
        Assert.Equal(40, withQuota.WholeNumber("quota_mb"));
    }

    [Fact]
    public async Task One_account_is_read_by_id_within_scope()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var id = await CreateMailboxAsync(admin, "one@" + org.Domain, "One", "Only");

        var account = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal(id, account.WholeNumber("id"));
        Assert.Equal("one@" + org.Domain, account.Text("email"));
        Assert.Equal("Only", account.Text("last_name"));

        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        await TestApi.AssertErrorAsync(await otherAdmin.GetAsync($"{Root}/org/email-accounts/{id}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/org/email-accounts/999999999/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Patch_and_put_change_quota_in_mb_names_and_is_active()
    {
        var org = await Api.CreateOrgAsync(totalQuotaMb: 1000);
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var id = await CreateMailboxAsync(admin, "edit@" + org.Domain, "Ed", "It");

        var patched = await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/",
            new { quota = 200, first_name = "Edna" }, Ct), HttpStatusCode.OK);
        Assert.Equal(200, patched.WholeNumber("quota"));
        Assert.Equal(200, patched.WholeNumber("quota_mb"));
        Assert.Equal("Edna", patched.Text("first_name"));
        Assert.Equal("Edna It", patched.Text("display_name"));
        Assert.Equal(200, await ApiFactory.ScalarAsync("SELECT quota_mb FROM directory.mail_accounts WHERE email = $1", "edit@" + org.Domain));

        var put = await TestApi.ReadAsync(await admin.PutAsJsonAsync($"{Root}/org/email-accounts/{id}/",
            new { first_name = "Edna", last_name = "Put", quota_mb = 300, is_active = false }, Ct), HttpStatusCode.OK);
        Assert.False(put.Flag("is_active"));
        Assert.Equal("Put", put.Text("last_name"));
        Assert.Equal(300, put.WholeNumber("quota"));
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "edit@" + org.Domain));

        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { quota = 5000 }, Ct), HttpStatusCode.BadRequest, "quota_mb");
        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { quota = 10, quota_mb = 20 }, Ct), HttpStatusCode.BadRequest, "quota");
        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { quota = -1 }, Ct), HttpStatusCode.BadRequest, "quota");
        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        await TestApi.AssertErrorAsync(await otherAdmin.PutAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { is_active = true }, Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bulk_create_makes_all_or_none_within_max_users()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 4, defaultQuotaMb: 100);
        var admin = await Api.TokenClientAsync(org.AdminUsername);

        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/", new
        {
            accounts = new object[]
            {
                new { username = "b1", email = "b1@" + org.Domain, password = TestApi.Password, first_name = "B", last_name = "One" },
                new { username = "b2", email = "b2@" + org.Domain, password = TestApi.Password, quota_mb = 50 },
            },
        }, Ct), HttpStatusCode.Created);
        Assert.Equal(2, created.WholeNumber("created"));
        var items = created.GetProperty("accounts").EnumerateArray().ToList();
        Assert.Equal(["b1@" + org.Domain, "b2@" + org.Domain], items.Select(a => a.Text("email")));
        Assert.Equal("b1@" + org.Domain, items[0].Text("username"));
        Assert.True(items[0].WholeNumber("id") > 0);
        Assert.Equal(50, await ApiFactory.ScalarAsync("SELECT quota_mb FROM directory.email_accounts WHERE address = $1", "b2@" + org.Domain));

        // Three more would make five: over max_users (4), and none is made.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/", new
        {
            accounts = new[]
            {
                new { username = "b3", email = "b3@" + org.Domain, password = TestApi.Password },
                new { username = "b4", email = "b4@" + org.Domain, password = TestApi.Password },
                new { username = "b7", email = "b7@" + org.Domain, password = TestApi.Password },
            },
        }, Ct), HttpStatusCode.BadRequest, "max_users");
        // One bad item (a taken address) undoes the good one before it.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/", new
        {
            accounts = new[]
            {
                new { username = "b5", email = "b5@" + org.Domain, password = TestApi.Password },
                new { username = "b1", email = "b1@" + org.Domain, password = TestApi.Password },
            },
        }, Ct), HttpStatusCode.Conflict, "accounts[1]");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/", new
        {
            accounts = new[] { new { username = "b6", email = "b6@" + org.Domain, password = "short" } },
        }, Ct), HttpStatusCode.BadRequest, "accounts[0]");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/", new { accounts = Array.Empty<object>() }, Ct), HttpStatusCode.BadRequest, "accounts");
        Assert.Equal(2L, await ApiFactory.ScalarAsync(
            "SELECT count(*) FROM directory.email_accounts a JOIN directory.domains d ON d.id = a.domain_id WHERE d.organization_id = $1", org.Id));
    }

    [Fact]
    public async Task Bulk_deactivate_disables_the_named_accounts()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        var a = await CreateMailboxAsync(admin, "da@" + org.Domain);
        var b = await CreateMailboxAsync(admin, "db@" + org.Domain);
        var foreign = await CreateMailboxAsync(otherAdmin, "dc@" + other.Domain);
        var session = await Api.TokenClientAsync("da@" + org.Domain);

        var result = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-deactivate/", new { ids = new[] { a, b } }, Ct), HttpStatusCode.OK);
        Assert.Equal(2, result.WholeNumber("updated"));
        Assert.False(string.IsNullOrEmpty(result.Text("detail")));
        await TestApi.AssertErrorAsync(await session.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "db@" + org.Domain));

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-deactivate/", new { ids = Array.Empty<long>() }, Ct), HttpStatusCode.BadRequest, "ids");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-deactivate/", new { ids = new[] { foreign } }, Ct), HttpStatusCode.NotFound);
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "dc@" + other.Domain));
    }

    [Fact]
    public async Task Admin_email_accounts_lists_every_account_with_its_organization_for_the_system_admin()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var id = await CreateMailboxAsync(admin, "every@" + org.Domain, "Ev", "Ery");

        var service = await Api.ServiceAccountAsync();
        var list = await DjangoCalls.BareArrayAsync(await service.GetAsync($"{Root}/admin/email-accounts/", Ct));
        var account = list.ById(id);
        Assert.Equal("every@" + org.Domain, account.Text("email"));
        Assert.Equal("Ev", account.Text("first_name"));
        Assert.Equal("Ery", account.Text("last_name"));
        Assert.True(account.WholeNumber("user_id") > 0);
        Assert.Equal(org.Id, account.WholeNumber("organization_id"));
        Assert.Equal("Org " + org.Slug, account.Text("organization_name"));
        Assert.Equal(0, account.WholeNumber("usage_mb"));
        Assert.Equal(100, account.WholeNumber("quota_mb"));
        Assert.True(account.Flag("is_active"));
        account.Instant("created_at");

        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/admin/email-accounts/", Ct), HttpStatusCode.Forbidden);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests;

public sealed class OrganizationTests(ApiFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Superadmin_lists_organizations_with_usage_stats()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 10, totalQuotaMb: 1000);
        var admin = await Api.AsAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "a@" + org.Domain, quotaMb: 100);
        await Api.CreateAccountAsync(admin, "b@" + org.Domain, quotaMb: 150);
        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, 4096, 2)", "a@" + org.Domain);

        var superadmin = await Api.SuperadminAsync();
        // The client's form: no query, a bare array of every organization.
        var list = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/admin/organizations/", Ct), HttpStatusCode.OK);
        var mine = list.EnumerateArray().Single(o => o.GetProperty("id").GetInt64() == org.Id);
        Assert.Equal(1, mine.GetProperty("domains_count").GetInt32());
        Assert.Equal(2, mine.GetProperty("accounts_count").GetInt32());
        Assert.Equal(10, mine.GetProperty("max_accounts").GetInt32());
        Assert.Equal(250, mine.GetProperty("quota_allocated_mb").GetInt64());
        Assert.Equal(1000, mine.GetProperty("total_quota_mb").GetInt32());
        Assert.Equal(4096, mine.GetProperty("storage_used_bytes").GetInt64());
        Assert.True(list.GetArrayLength() >= 2);

        // Asking for a page gives Django REST framework's page form.
        var page = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/admin/organizations/?page_size=1", Ct), HttpStatusCode.OK);
        // Other tests create organizations meanwhile: the count can only have grown.
        Assert.True(page.GetProperty("count").GetInt32() >= list.GetArrayLength());
        Assert.Single(page.GetProperty("results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("previous").ValueKind);
        var next = page.GetProperty("next").GetString()!;
        Assert.Contains("page=2", next, StringComparison.Ordinal);
        var second = await TestApi.ReadAsync(await superadmin.GetAsync(new Uri(next).PathAndQuery, Ct), HttpStatusCode.OK);
        Assert.Single(second.GetProperty("results").EnumerateArray());
        Assert.Contains("page=1", second.GetProperty("previous").GetString(), StringComparison.Ordinal);
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/admin/organizations/?page=0", Ct), HttpStatusCode.BadRequest, "page");
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/admin/organizations/?page_size=201", Ct), HttpStatusCode.BadRequest, "page_size");
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/admin/organizations/?page=99999999999", Ct), HttpStatusCode.BadRequest, "page");
    }

    [Fact]
    public async Task Only_a_superadmin_sees_or_creates_organizations()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/admin/organizations/", Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/admin/organizations/", new { name = "Sneaky", domain_name = "sneaky.test" }, Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Create_organization_validates_and_refuses_duplicates()
    {
        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.PostAsJsonAsync($"{Root}/admin/organizations/", new { slug = "test-noname" }, Ct), HttpStatusCode.BadRequest, "name");
        await TestApi.AssertErrorAsync(await superadmin.PostAsJsonAsync($"{Root}/admin/organizations/", new { name = "x", slug = "Bad Slug!" }, Ct), HttpStatusCode.BadRequest, "slug");
        await TestApi.AssertErrorAsync(await superadmin.PostAsJsonAsync($"{Root}/admin/organizations/", new { name = "x", slug = "test-neg", max_accounts = -1 }, Ct), HttpStatusCode.BadRequest, "max_accounts");

        var org = await Api.CreateOrgAsync();
        var duplicate = await superadmin.PostAsJsonAsync($"{Root}/admin/organizations/", new { name = "Another", slug = org.Slug }, Ct);
        await TestApi.AssertErrorAsync(duplicate, HttpStatusCode.Conflict, org.Slug);
    }

    [Fact]
    public async Task Disabling_an_organization_stops_its_users_and_limits_cannot_drop_below_usage()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "x@" + org.Domain, quotaMb: 100);
        await Api.CreateAccountAsync(admin, "y@" + org.Domain, quotaMb: 100);
        var superadmin = await Api.SuperadminAsync();

        await TestApi.AssertErrorAsync(await superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new { max_accounts = 1 }, Ct), HttpStatusCode.BadRequest, "max_accounts");
        await TestApi.AssertErrorAsync(await superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new { total_quota_mb = 150 }, Ct), HttpStatusCode.BadRequest, "total_quota_mb");
        await TestApi.AssertErrorAsync(await superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new { status = "paused" }, Ct), HttpStatusCode.BadRequest, "status");
        await TestApi.AssertErrorAsync(await superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/999999999/", new { status = "disabled" }, Ct), HttpStatusCode.NotFound);

        var updated = await TestApi.ReadAsync(await superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new { status = "disabled" }, Ct), HttpStatusCode.OK);
        Assert.Equal("disabled", updated.GetProperty("status").GetString());
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = "x@" + org.Domain, password = TestApi.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        var active = await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "x@" + org.Domain);
        Assert.Equal(false, active);
    }

    [Fact]
    public async Task Organization_admins_are_created_or_promoted_within_scope()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);

        // An org admin adds a second admin to their own organization (organization_id defaults to theirs).
        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { email = "second@" + org.Domain, password = TestApi.Password, first_name = "Second" }, Ct), HttpStatusCode.Created);
        Assert.Equal("org_admin", created.GetProperty("role").GetString());
        Assert.Equal(org.Id, created.GetProperty("organization").GetProperty("id").GetInt64());
        await Api.AsAsync("second@" + org.Domain);

        // Promote an existing mailbox user.
        var account = await Api.CreateAccountAsync(admin, "promote@" + org.Domain);
        var promoted = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { user_id = account.GetProperty("user_id").GetInt64() }, Ct), HttpStatusCode.Created);
        Assert.Equal("org_admin", promoted.GetProperty("role").GetString());

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { organization_id = other.Id, email = "intruder@" + other.Domain, password = TestApi.Password }, Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { user_id = other.AdminUserId }, Ct), HttpStatusCode.NotFound);

        // A login at another organization's domain would squat that address: refused, and the owner can still create it.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { email = "squat@" + other.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, other.Domain);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { email = "boss@" + org.Domain, username = "boss@" + other.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "username");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { email = "someone@gmail.com", password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "gmail.com");
        var owner = await Api.AsAsync(other.AdminUsername);
        await Api.CreateAccountAsync(owner, "squat@" + other.Domain);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "email");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { email = "second@" + org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.Conflict);

        var user = await Api.AsAsync("promote@" + org.Domain);
        var asUser = await Api.CreateAccountAsync(admin, "plain@" + org.Domain);
        var plain = await Api.AsAsync("plain@" + org.Domain);
        await TestApi.AssertErrorAsync(await plain.PostAsJsonAsync($"{Root}/organization-admins/",
            new { user_id = asUser.GetProperty("user_id").GetInt64() }, Ct), HttpStatusCode.Forbidden);
        Assert.NotNull(user);
    }
}

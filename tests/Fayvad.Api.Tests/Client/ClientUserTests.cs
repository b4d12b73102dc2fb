using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>The users routes: the client class's users/ calls (as documented) and its server's org/users.</summary>
public sealed class ClientUserTests(ApiFactory factory) : ApiTest(factory)
{
    private static string BareName(string what) => ApiFactory.RunPrefix + what + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));

    private async Task CreateMailboxAsync(HttpClient admin, string email, string first = "", string last = "") =>
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email, password = TestApi.Password, first_name = first, last_name = last }, Ct), HttpStatusCode.Created);

    [Fact]
    public async Task Users_list_is_a_bare_array_of_the_clients_user_fields_and_pages_on_request()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "ua@" + org.Domain, "Ursula", "A");
        await CreateMailboxAsync(admin, "ub@" + org.Domain);

        var list = await DjangoCalls.BareArrayAsync(await admin.GetAsync($"{Root}/users/", Ct));
        Assert.Equal(new[] { "admin@" + org.Domain, "ua@" + org.Domain, "ub@" + org.Domain }, list.EnumerateArray().Select(u => u.Text("username")));
        var ua = list.EnumerateArray().Single(u => u.Text("username") == "ua@" + org.Domain);
        ua.WholeNumber("id");
        Assert.Equal("ua@" + org.Domain, ua.Text("email"));
        Assert.Equal("Ursula", ua.Text("first_name"));
        Assert.Equal("A", ua.Text("last_name"));
        Assert.True(ua.Flag("is_active"));
        Assert.Equal("user", ua.Text("role"));
        Assert.Equal("", ua.Text("phone_number"));

        var page = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?page=2&page_size=2", Ct), HttpStatusCode.OK);
        Assert.Equal(3, page.WholeNumber("count"));
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        Assert.Contains("page=1", page.Text("previous"), StringComparison.Ordinal);
        Assert.Equal("ub@" + org.Domain, page.GetProperty("results")[0].Text("username"));

        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/users/?page_size=0", Ct), HttpStatusCode.BadRequest, "page_size");
    }

    [Fact]
    public async Task A_superadmin_creates_an_admin_with_a_bare_username_who_then_logs_in_with_it()
    {
        var service = await Api.ServiceAccountAsync();
        var username = BareName("svc");
        var created = await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/users/", new
        {
            username = username.ToUpperInvariant(), email = "ops@example.test", password = TestApi.Password, first_name = "Ops", last_name = "Bot",
            is_active = true, role = "superadmin",
        }, Ct), HttpStatusCode.Created);
        Assert.Equal(username, created.Text("username"));
        Assert.Equal("ops@example.test", created.Text("email"));
        Assert.Equal("superadmin", created.Text("role"));
        Assert.True(created.Flag("is_superuser"));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("organization").ValueKind);

        var (_, login) = await Api.LoginAsync(username, TestApi.Password);
        Assert.False(login.Flag("email_authenticated"));
        var asNewAdmin = await Api.TokenClientAsync(username);
        await DjangoCalls.BareArrayAsync(await asNewAdmin.GetAsync($"{Root}/admin/organizations/", Ct));

        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/users/",
            new { username, email = "", password = TestApi.Password, first_name = "", last_name = "", is_active = true, role = "superadmin" }, Ct), HttpStatusCode.Conflict);
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/users/",
            new { username = "has space", email = "", password = TestApi.Password, role = "superadmin" }, Ct), HttpStatusCode.BadRequest, "username");
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/users/",
            new { username = BareName("x"), password = TestApi.Password, role = "king" }, Ct), HttpStatusCode.BadRequest, "role");
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/users/",
            new { username = BareName("x"), password = TestApi.Password, role = "user" }, Ct), HttpStatusCode.BadRequest, "organization_id");
    }

    [Fact]
    public async Task The_clients_create_user_without_an_organization_joins_the_organization_of_its_emails_domain()
    {
        // The client class's create_user: exactly these fields, no organization; called with the service account (a superadmin).
        var org = await Api.CreateOrgAsync();
        var service = await Api.ServiceAccountAsync();
        var username = BareName("jdoe");
        var created = await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/users/", new
        {
            username, email = "j.doe@" + org.Domain, password = TestApi.Password, first_name = "Jane", last_name = "Doe", is_active = true,
        }, Ct), HttpStatusCode.Created);
        Assert.Equal(username, created.Text("username"));
        Assert.Equal("j.doe@" + org.Domain, created.Text("email"));
        Assert.Equal("user", created.Text("role"));
        Assert.Equal(org.Id, created.GetProperty("organization").WholeNumber("id"));
        Assert.Equal(org.Domain, created.GetProperty("organization").Text("domain_name"));
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        Assert.Contains(username, (await DjangoCalls.BareArrayAsync(await admin.GetAsync($"{Root}/users/", Ct))).EnumerateArray().Select(u => u.Text("username")));

        // An address username with no email is placed the same way.
        var addressed = await TestApi.ReadAsync(await service.PostAsJsonAsync($"{Root}/users/", new
        {
            username = "ops@" + org.Domain, password = TestApi.Password,
        }, Ct), HttpStatusCode.Created);
        Assert.Equal(org.Id, addressed.GetProperty("organization").WholeNumber("id"));

        // A domain no organization has: 400 as before, and nothing is made.
        var stray = BareName("stray");
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/users/", new
        {
            username = stray, email = "x@" + org.Slug + "-nobody.test", password = TestApi.Password, first_name = "", last_name = "", is_active = true,
        }, Ct), HttpStatusCode.BadRequest, "organization_id");
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.users WHERE username = $1", stray));
    }

    [Fact]
    public async Task An_org_admin_creates_users_only_in_their_organization()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);

        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/users/", new
        {
            username = "helper." + org.Slug, email = "helper@example.test", password = TestApi.Password, first_name = "Help", last_name = "Er", is_active = true,
        }, Ct), HttpStatusCode.Created);
        Assert.Equal(org.Id, created.GetProperty("organization").WholeNumber("id"));
        Assert.Equal(org.Domain, created.GetProperty("organization").Text("domain_name"));
        Assert.Equal("user", created.Text("role"));
        await Api.LoginAsync("helper." + org.Slug, TestApi.Password);

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = BareName("boss"), password = TestApi.Password, role = "superadmin" }, Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = BareName("u"), password = TestApi.Password, organization_id = other.Id }, Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = "squat@" + other.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "username");
        // An address at a domain nobody hosts yet could be squatted before its owner adds the domain.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = "early@" + org.Slug + "-later.test", password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "username");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = BareName("u"), password = "short" }, Ct), HttpStatusCode.BadRequest, "password");
    }

    [Fact]
    public async Task One_user_is_read_by_id_within_scope()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);

        var user = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/{org.AdminUserId}/", Ct), HttpStatusCode.OK);
        Assert.Equal(org.AdminUsername, user.Text("username"));
        Assert.Equal("org_admin", user.Text("role"));
        Assert.True(user.Flag("is_staff"));
        Assert.False(user.Flag("is_superuser"));

        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/users/{other.AdminUserId}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/users/999999999/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Patch_and_put_change_names_email_and_is_active()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/users/",
            new { username = "desk." + org.Slug, email = "desk@example.test", password = TestApi.Password, first_name = "Desk", last_name = "One", is_active = true }, Ct),
            HttpStatusCode.Created);
        var id = created.WholeNumber("id");

        var patched = await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/users/{id}/",
            new { first_name = "Deska", last_name = "Two", email = "desk2@example.test", is_active = true }, Ct), HttpStatusCode.OK);
        Assert.Equal("Deska", patched.Text("first_name"));
        Assert.Equal("desk2@example.test", patched.Text("email"));

        var put = await TestApi.ReadAsync(await admin.PutAsJsonAsync($"{Root}/users/{id}/",
            new { first_name = "Deskb", last_name = "Three", email = "desk2@example.test", is_active = false }, Ct), HttpStatusCode.OK);
        Assert.False(put.Flag("is_active"));
        var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = "desk." + org.Slug, password = TestApi.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);

        // A mailbox user's email is its address.
        await CreateMailboxAsync(admin, "boxed@" + org.Domain);
        var boxed = await DjangoCalls.BareArrayAsync(await admin.GetAsync($"{Root}/users/", Ct));
        var boxedId = boxed.EnumerateArray().Single(u => u.Text("username") == "boxed@" + org.Domain).WholeNumber("id");
        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/users/{boxedId}/", new { email = "elsewhere@example.test" }, Ct), HttpStatusCode.BadRequest, "email");
        await TestApi.AssertErrorAsync(await admin.PutAsJsonAsync($"{Root}/users/{id}/", new { email = "not-an-address" }, Ct), HttpStatusCode.BadRequest, "email");
    }

    [Fact]
    public async Task Org_users_is_a_bare_array_of_the_callers_organization()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        await CreateMailboxAsync(admin, "member@" + org.Domain, "Mem", "Ber");
        await CreateMailboxAsync(otherAdmin, "stranger@" + other.Domain);

        var list = await DjangoCalls.BareArrayAsync(await admin.GetAsync($"{Root}/org/users/", Ct));
        Assert.Equal(new[] { "admin@" + org.Domain, "member@" + org.Domain }, list.EnumerateArray().Select(u => u.Text("username")));
        var member = list[1];
        member.WholeNumber("id");
        Assert.Equal("member@" + org.Domain, member.Text("email"));
        Assert.Equal("Mem", member.Text("first_name"));
        Assert.Equal("Ber", member.Text("last_name"));
        Assert.True(member.Flag("is_active"));
        Assert.Equal("user", member.Text("role"));
        Assert.Equal("", member.Text("phone_number"));
        Assert.Equal("org_admin", list[0].Text("role"));

        var user = await Api.TokenClientAsync("member@" + org.Domain);
        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/org/users/", Ct), HttpStatusCode.Forbidden);
        var service = await Api.ServiceAccountAsync();
        await TestApi.AssertErrorAsync(await service.GetAsync($"{Root}/org/users/", Ct), HttpStatusCode.BadRequest, "organization");
        var bySuperadmin = await DjangoCalls.BareArrayAsync(await service.GetAsync($"{Root}/org/users/?organization={other.Id}", Ct));
        Assert.Contains(bySuperadmin.EnumerateArray(), u => u.Text("username") == "stranger@" + other.Domain);
    }
}

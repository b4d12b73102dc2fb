using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>Login as the client's login view and direct-call pages do, and its server's identity routes.</summary>
public sealed class ClientIdentityTests(ApiFactory factory) : ApiTest(factory)
{
    private static string BareName(string what) => ApiFactory.RunPrefix + what + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));

    private async Task<string> CreateBareAdminAsync()
    {
        var username = BareName("adm");
        await TestApi.ReadAsync(await (await Api.ServiceAccountAsync()).PostAsJsonAsync($"{Root}/users/",
            new { username, email = "", password = TestApi.Password, first_name = "Bare", last_name = "Admin", is_active = true, role = "superadmin" }, Ct),
            HttpStatusCode.Created);
        return username;
    }

    private async Task<(TestOrg Org, string Address)> CreateMailboxUserAsync(string local)
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        var address = $"{local}@{org.Domain}";
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = address, password = TestApi.Password, first_name = "Mail", last_name = "Box" }, Ct), HttpStatusCode.Created);
        return (org, address);
    }

    [Fact]
    public async Task Login_takes_a_bare_username_and_says_whether_the_user_has_a_mailbox()
    {
        var bare = await CreateBareAdminAsync();
        var response = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = bare, password = TestApi.Password }, Ct);
        var login = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(login.Text("token")));
        Assert.False(login.Flag("email_authenticated"));
        Assert.Equal("superadmin", login.Text("role"));

        var (_, address) = await CreateMailboxUserAsync("loginbox");
        var (_, boxLogin) = await Api.LoginAsync(address, TestApi.Password);
        Assert.True(boxLogin.Flag("email_authenticated"));

        await TestApi.AssertErrorAsync(await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = bare, password = "wrong-password" }, Ct),
            HttpStatusCode.Unauthorized, "Invalid credentials");
        // Only the exact login name: the bare name is not completed with a domain.
        await TestApi.AssertErrorAsync(await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = bare + "@fayvad.com", password = TestApi.Password }, Ct),
            HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_bare_username_is_throttled_like_an_address()
    {
        var bare = await CreateBareAdminAsync();
        for (var i = 0; i < 5; i++)
        {
            var failed = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = bare, password = "wrong-password" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var blocked = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = bare, password = TestApi.Password }, Ct);
        await TestApi.AssertErrorAsync(blocked, (HttpStatusCode)429, "Too many");
        Assert.NotNull(blocked.Headers.RetryAfter);
    }

    [Fact]
    public async Task Me_gives_the_client_servers_profile_fields()
    {
        var (org, address) = await CreateMailboxUserAsync("profile");
        var user = await Api.TokenClientAsync(address);
        var me = await TestApi.ReadAsync(await user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        Assert.True(me.WholeNumber("id") > 0);
        Assert.Equal(address, me.Text("username"));
        Assert.Equal(address, me.Text("email"));
        Assert.Equal("Mail", me.Text("first_name"));
        Assert.Equal("Box", me.Text("last_name"));
        Assert.True(me.Flag("is_active"));
        Assert.False(me.Flag("is_staff"));
        Assert.False(me.Flag("is_superuser"));
        Assert.Equal("", me.Text("phone_number"));
        Assert.Equal("", me.Text("secondary_email"));
        Assert.False(me.Flag("tfa_enabled"));
        Assert.Equal("en", me.Text("language"));
        Assert.Equal("user", me.Text("role"));
        var organization = me.GetProperty("organization");
        Assert.Equal(org.Id, organization.WholeNumber("id"));
        Assert.Equal("Org " + org.Slug, organization.Text("name"));
        Assert.Equal(org.Domain, organization.Text("domain_name"));

        var service = await Api.ServiceAccountAsync();
        var serviceMe = await TestApi.ReadAsync(await service.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        Assert.Equal(StackSettings.Get("DEMO_SERVICE_USER"), serviceMe.Text("username"));
        Assert.True(serviceMe.Flag("is_superuser"));
        Assert.True(serviceMe.Flag("is_staff"));
        Assert.Equal(JsonValueKind.Null, serviceMe.GetProperty("organization").ValueKind);

        var noToken = Api.Anonymous();
        await TestApi.AssertErrorAsync(await noToken.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Refresh_gives_a_new_token_and_revokes_the_old_one()
    {
        var (_, address) = await CreateMailboxUserAsync("refresh");
        var (client, login) = await Api.LoginAsync(address, TestApi.Password);
        var old = login.Text("token");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", old);

        var refreshed = await TestApi.ReadAsync(await client.PostAsync($"{Root}/auth/refresh/", null, Ct), HttpStatusCode.OK);
        var fresh = refreshed.Text("token");
        Assert.NotEqual(old, fresh);

        await TestApi.AssertErrorAsync(await client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        await TestApi.AssertErrorAsync(await client.PostAsync($"{Root}/auth/refresh/", null, Ct), HttpStatusCode.Unauthorized);
        var renewed = Api.Anonymous();
        renewed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", fresh);
        Assert.Equal(address, (await TestApi.ReadAsync(await renewed.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK)).Text("username"));
        await TestApi.AssertErrorAsync(await Api.Anonymous().PostAsync($"{Root}/auth/refresh/", null, Ct), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/auth/me/update/")]
    [InlineData("/auth/me/")]
    public async Task Patch_me_changes_the_profile_and_refuses_what_cannot_be_honoured(string path)
    {
        var (_, address) = await CreateMailboxUserAsync("patch");
        var user = await Api.TokenClientAsync(address);

        var updated = await TestApi.ReadAsync(await user.PatchAsJsonAsync(Root + path, new
        {
            first_name = "Pat", last_name = "Ch", email = address.ToUpperInvariant(), phone_number = "+254 700 000 001",
            secondary_email = "pat@example.test", tfa_enabled = false, language = "sw",
        }, Ct), HttpStatusCode.OK);
        Assert.Equal("Pat", updated.Text("first_name"));
        Assert.Equal("Ch", updated.Text("last_name"));
        Assert.Equal(address, updated.Text("email"));
        Assert.Equal("+254 700 000 001", updated.Text("phone_number"));
        Assert.Equal("pat@example.test", updated.Text("secondary_email"));
        Assert.False(updated.Flag("tfa_enabled"));
        Assert.Equal("sw", updated.Text("language"));
        Assert.Equal(address, updated.Text("username"));
        updated.WholeNumber("id");
        Assert.Equal("sw", (await TestApi.ReadAsync(await user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK)).Text("language"));

        await TestApi.AssertErrorAsync(await user.PatchAsJsonAsync(Root + path, new { tfa_enabled = true }, Ct), HttpStatusCode.BadRequest, "tfa_enabled");
        await TestApi.AssertErrorAsync(await user.PatchAsJsonAsync(Root + path, new { email = "other@example.test" }, Ct), HttpStatusCode.BadRequest, "email");
        await TestApi.AssertErrorAsync(await user.PatchAsJsonAsync(Root + path, new { phone_number = "call me" }, Ct), HttpStatusCode.BadRequest, "phone_number");
        await TestApi.AssertErrorAsync(await user.PatchAsJsonAsync(Root + path, new { language = "" }, Ct), HttpStatusCode.BadRequest, "language");
        await TestApi.AssertErrorAsync(await user.PatchAsJsonAsync(Root + path, new { secondary_email = "nope" }, Ct), HttpStatusCode.BadRequest, "secondary_email");
        Assert.Equal("Pat", (await TestApi.ReadAsync(await user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK)).Text("first_name"));

        // A user without a mailbox may change their email.
        var bare = await Api.TokenClientAsync(await CreateBareAdminAsync());
        var moved = await TestApi.ReadAsync(await bare.PatchAsJsonAsync(Root + path, new { email = "ops@example.test" }, Ct), HttpStatusCode.OK);
        Assert.Equal("ops@example.test", moved.Text("email"));
    }

    [Fact]
    public async Task Email_auth_checks_the_callers_own_mailbox_password()
    {
        var (_, address) = await CreateMailboxUserAsync("emailauth");
        var user = await Api.TokenClientAsync(address);
        var me = await TestApi.ReadAsync(await user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);

        var ok = await TestApi.ReadAsync(await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        Assert.True(ok.Flag("authenticated"));
        Assert.Equal(me.WholeNumber("id"), ok.WholeNumber("user_id"));

        await TestApi.AssertErrorAsync(await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = "wrong-password" }, Ct), HttpStatusCode.Unauthorized);
        await TestApi.AssertErrorAsync(await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = StackSettings.Get("DEMO_USER_USER"), password = "whatever1" }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = address }, Ct), HttpStatusCode.BadRequest, "password");

        // An admin without a mailbox has no such account.
        var service = await Api.ServiceAccountAsync();
        await TestApi.AssertErrorAsync(await service.PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = TestApi.Password }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await Api.Anonymous().PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = TestApi.Password }, Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Email_auth_is_throttled_like_login()
    {
        var (_, address) = await CreateMailboxUserAsync("emailthrottle");
        var user = await Api.TokenClientAsync(address);
        for (var i = 0; i < 5; i++)
        {
            var failed = await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = "wrong-password" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var blocked = await user.PostAsJsonAsync($"{Root}/email/auth/", new { email = address, password = TestApi.Password }, Ct);
        await TestApi.AssertErrorAsync(blocked, (HttpStatusCode)429, "Too many");
        Assert.NotNull(blocked.Headers.RetryAfter);
    }
}

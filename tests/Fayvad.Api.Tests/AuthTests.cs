using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Fayvad.Api.Tests;

public sealed class AuthTests(ApiFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Login_returns_token_user_id_and_username_and_both_header_forms_work()
    {
        var user = StackSettings.Get("DEMO_USER_USER");
        var (_, login) = await Api.LoginAsync(user.ToUpperInvariant(), StackSettings.Get("DEMO_USER_PASSWORD"));

        var token = login.GetProperty("token").GetString()!;
        Assert.True(token.Length >= 43, "token carries at least 256 bits");
        Assert.Equal(user, login.GetProperty("username").GetString());
        Assert.True(login.GetProperty("user_id").GetInt64() > 0);

        foreach (var scheme in new[] { "Bearer", "Token" })
        {
            var client = Api.Anonymous();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, token);
            var me = await TestApi.ReadAsync(await client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
            Assert.Equal(user, me.GetProperty("username").GetString());
        }

        // Only the hash is stored.
        var stored = await ApiFactory.ScalarAsync(
            "SELECT count(*) FROM identity.access_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))", token);
        Assert.Equal(1L, stored);
    }

    [Fact]
    public async Task Wrong_password_is_401_invalid_credentials()
    {
        // Never the demo users: their failures would count toward their own throttle across runs.
        var org = await Api.CreateOrgAsync();
        var response = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/",
            new { username = org.AdminUsername, password = "not-the-password" }, Ct);
        var body = await TestApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Invalid credentials", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unknown_user_is_401_like_a_wrong_password()
    {
        var response = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = $"nobody-{Guid.NewGuid():N}@nowhere.test", password = "whatever1" }, Ct);
        var body = await TestApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Invalid credentials", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"password\": \"x\"}", "username")]
    [InlineData("{\"username\": \"a@b.test\"}", "password")]
    [InlineData("{}", "username")]
    public async Task Missing_fields_are_400_naming_the_field(string json, string field)
    {
        var response = await Api.Anonymous().PostAsync($"{Root}/auth/login/", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await TestApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
        Assert.True(body.GetProperty("fields").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Malformed_json_is_400_with_error_body()
    {
        var response = await Api.Anonymous().PostAsync($"{Root}/auth/login/", new StringContent("{nope", Encoding.UTF8, "application/json"), Ct);
        await TestApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "JSON");
    }

    [Fact]
    public async Task Repeated_failures_for_one_username_are_throttled_with_retry_after()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var address = "throttled@" + org.Domain;
        await Api.CreateAccountAsync(admin, address);

        for (var i = 0; i < 5; i++)
        {
            // A fresh client address each time: only the per-username limit applies.
            var failed = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = address, password = "wrong-password" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var blocked = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = address, password = TestApi.Password }, Ct);
        await TestApi.AssertErrorAsync(blocked, (HttpStatusCode)429, "Too many");
        Assert.True(blocked.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");
    }

    [Fact]
    public async Task Repeated_failures_from_one_client_address_are_throttled()
    {
        var client = Api.Anonymous();
        for (var i = 0; i < 20; i++)
        {
            var failed = await client.PostAsJsonAsync($"{Root}/auth/login/", new { username = $"u{i}-{Guid.NewGuid():N}@nowhere.test", password = "wrong-password" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var blocked = await client.PostAsJsonAsync($"{Root}/auth/login/",
            new { username = StackSettings.Get("DEMO_USER_USER"), password = StackSettings.Get("DEMO_USER_PASSWORD") }, Ct);
        await TestApi.AssertErrorAsync(blocked, (HttpStatusCode)429);
        Assert.NotNull(blocked.Headers.RetryAfter);
    }

    [Fact]
    public async Task Me_shows_role_organization_and_mailbox_with_quota_and_usage()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var address = "me@" + org.Domain;
        await Api.CreateAccountAsync(admin, address, quotaMb: 50);

        var me = await TestApi.ReadAsync(await (await Api.AsAsync(address)).GetAsync($"{Root}/auth/me", Ct), HttpStatusCode.OK);
        Assert.Equal("user", me.GetProperty("role").GetString());
        Assert.Equal(address, me.GetProperty("email").GetString());
        Assert.Equal(org.Id, me.GetProperty("organization").GetProperty("id").GetInt64());
        var mailbox = me.GetProperty("email_account");
        Assert.Equal(address, mailbox.GetProperty("address").GetString());
        Assert.Equal(50, mailbox.GetProperty("quota_mb").GetInt32());
        Assert.Equal(0, mailbox.GetProperty("used_bytes").GetInt64());

        var adminMe = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        Assert.Equal("org_admin", adminMe.GetProperty("role").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, adminMe.GetProperty("email_account").ValueKind);
    }

    [Fact]
    public async Task No_token_or_a_bad_token_is_401_with_error_body()
    {
        await TestApi.AssertErrorAsync(await Api.Anonymous().GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized, "credentials");

        var forged = Api.Anonymous();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "forged-token-value");
        await TestApi.AssertErrorAsync(await forged.GetAsync($"{Root}/users/", Ct), HttpStatusCode.Unauthorized, "Invalid");
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var (client, login) = await Api.LoginAsync(StackSettings.Get("DEMO_USER2_USER"), StackSettings.Get("DEMO_USER2_PASSWORD"));
        await ApiFactory.ScalarAsync(
            "UPDATE identity.access_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
            login.GetProperty("token").GetString()!);
        await TestApi.AssertErrorAsync(await client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized, "expired");
    }

    [Fact]
    public async Task Logout_revokes_only_that_token()
    {
        var user = StackSettings.Get("DEMO_USER2_USER");
        var password = StackSettings.Get("DEMO_USER2_PASSWORD");
        var first = await Api.AsAsync(user, password);
        var second = await Api.AsAsync(user, password);

        Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsync($"{Root}/auth/logout/", null, Ct)).StatusCode);
        await TestApi.AssertErrorAsync(await first.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        await TestApi.ReadAsync(await second.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Disabling_a_user_or_its_mailbox_ends_access_at_once()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var one = await Api.CreateAccountAsync(admin, "one@" + org.Domain);
        var two = await Api.CreateAccountAsync(admin, "two@" + org.Domain);
        var oneClient = await Api.AsAsync("one@" + org.Domain);
        var twoClient = await Api.AsAsync("two@" + org.Domain);

        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/users/{one.GetProperty("user_id").GetInt64()}/", new { is_active = false }, Ct), HttpStatusCode.OK);
        await TestApi.AssertErrorAsync(await oneClient.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);

        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{two.GetProperty("id").GetInt64()}/", new { enabled = false }, Ct), HttpStatusCode.OK);
        await TestApi.AssertErrorAsync(await twoClient.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        var relogin = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = "two@" + org.Domain, password = TestApi.Password }, Ct);
        await TestApi.AssertErrorAsync(relogin, HttpStatusCode.Unauthorized, "Invalid credentials");
    }

    [Fact]
    public async Task Change_password_needs_the_current_one_and_signs_out_other_sessions()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var address = "changer@" + org.Domain;
        await Api.CreateAccountAsync(admin, address);
        var session = await Api.AsAsync(address);
        var other = await Api.AsAsync(address);

        var wrong = await session.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = "nope-nope", new_password = "brand-new-pass-1" }, Ct);
        await TestApi.AssertErrorAsync(wrong, HttpStatusCode.BadRequest, "current_password");
        var tooShort = await session.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = TestApi.Password, new_password = "short" }, Ct);
        await TestApi.AssertErrorAsync(tooShort, HttpStatusCode.BadRequest, "new_password");

        var changed = await session.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = TestApi.Password, new_password = "brand-new-pass-1" }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        await TestApi.ReadAsync(await session.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        await TestApi.AssertErrorAsync(await other.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        await Api.AsAsync(address, "brand-new-pass-1");
        var old = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = address, password = TestApi.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task Wrong_current_passwords_are_throttled_like_failed_logins()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var address = "guessed@" + org.Domain;
        await Api.CreateAccountAsync(admin, address);
        var stolen = await Api.AsAsync(address);

        for (var i = 0; i < 5; i++)
        {
            var guess = await stolen.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = $"guess-{i}-wrong", new_password = "taken-over-1" }, Ct);
            await TestApi.AssertErrorAsync(guess, HttpStatusCode.BadRequest, "current_password");
        }

        // Even the right password now waits: the count is per username, as for login.
        var blocked = await stolen.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = TestApi.Password, new_password = "taken-over-1" }, Ct);
        await TestApi.AssertErrorAsync(blocked, HttpStatusCode.TooManyRequests);
        Assert.NotNull(blocked.Headers.RetryAfter);
        var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = address, password = TestApi.Password }, Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, login.StatusCode);
    }
}

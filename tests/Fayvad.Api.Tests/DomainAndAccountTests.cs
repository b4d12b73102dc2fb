using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests;

public sealed class DomainAndAccountTests(ApiFactory factory) : ApiTest(factory)
{
    private static IEnumerable<string> Names(JsonElement list, string collection, string field) =>
        list.GetProperty(collection).EnumerateArray().Select(e => e.GetProperty(field).GetString()!);

    /// <summary>The field of each element of a bare JSON array (the client's list form).</summary>
    private static IEnumerable<string> NamesIn(JsonElement array, string field) =>
        array.EnumerateArray().Select(e => e.GetProperty(field).GetString()!);

    [Fact]
    public async Task Domains_are_scoped_by_role()
    {
        var a = await Api.CreateOrgAsync();
        var b = await Api.CreateOrgAsync();
        var adminA = await Api.AsAsync(a.AdminUsername);

        var seenByA = await TestApi.ReadAsync(await adminA.GetAsync($"{Root}/domains/", Ct), HttpStatusCode.OK);
        Assert.Equal([a.Domain], NamesIn(seenByA, "name"));
        var domain = seenByA[0];
        Assert.Equal(100, domain.GetProperty("default_mailbox_quota_mb").GetInt32());
        Assert.True(domain.GetProperty("enabled").GetBoolean());

        var superadmin = await Api.SuperadminAsync();
        var all = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/domains/", Ct), HttpStatusCode.OK);
        Assert.Contains(a.Domain, NamesIn(all, "name"));
        Assert.Contains(b.Domain, NamesIn(all, "name"));
        // Asked for a page: Django REST framework's page form.
        var page = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/domains?limit=200", Ct), HttpStatusCode.OK);
        // Other tests create domains meanwhile: the count can only have grown.
        var count = page.GetProperty("count").GetInt32();
        Assert.True(count >= all.GetArrayLength());
        // The page is the first 200 by name; the suite's other domains can push b past it, so only the page's shape is checked.
        Assert.Equal(Math.Min(200, count), page.GetProperty("results").GetArrayLength());
        Assert.Equal(count > 200, page.GetProperty("next").ValueKind == JsonValueKind.String);

        await Api.CreateAccountAsync(adminA, "someone@" + a.Domain);
        var user = await Api.AsAsync("someone@" + a.Domain);
        var seenByUser = await TestApi.ReadAsync(await user.GetAsync($"{Root}/domains/", Ct), HttpStatusCode.OK);
        Assert.Equal([a.Domain], NamesIn(seenByUser, "name"));
    }

    [Fact]
    public async Task Create_domain_validates_scope_names_and_duplicates()
    {
        var a = await Api.CreateOrgAsync(totalQuotaMb: 500);
        var b = await Api.CreateOrgAsync();
        var adminA = await Api.AsAsync(a.AdminUsername);

        var extra = await TestApi.ReadAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = "extra." + a.Domain, total_quota_mb = 200 }, Ct), HttpStatusCode.Created);
        Assert.Equal(a.Id, extra.GetProperty("organization").GetProperty("id").GetInt64());

        await TestApi.AssertErrorAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = "not a domain" }, Ct), HttpStatusCode.BadRequest, "name");
        await TestApi.AssertErrorAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { total_quota_mb = 1 }, Ct), HttpStatusCode.BadRequest, "name");
        // Their own domain posted again is answered (200, settings applied); another organization's is a 409.
        var again = await TestApi.ReadAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = a.Domain }, Ct), HttpStatusCode.OK);
        Assert.Equal(a.DomainId, again.GetProperty("id").GetInt64());
        await TestApi.AssertErrorAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = b.Domain }, Ct), HttpStatusCode.Conflict);
        await TestApi.AssertErrorAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = "x." + b.Domain, organization_id = b.Id }, Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await adminA.PostAsJsonAsync($"{Root}/domains/", new { name = "big." + a.Domain, total_quota_mb = 900 }, Ct), HttpStatusCode.BadRequest, "total_quota_mb");
        var superadmin = await Api.SuperadminAsync();
        // Without organization_id a superadmin's domain becomes an organization of its own (the client's model).
        var own = await TestApi.ReadAsync(await superadmin.PostAsJsonAsync($"{Root}/domains/", new { name = ApiFactory.RunPrefix + "own.test" }, Ct), HttpStatusCode.Created);
        Assert.Equal(ApiFactory.RunPrefix + "own.test", own.GetProperty("organization").GetProperty("name").GetString());
        Assert.NotEqual(a.Id, own.GetProperty("organization").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_disabled_domain_disables_its_mailboxes()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "dd@" + org.Domain);
        var user = await Api.AsAsync("dd@" + org.Domain);

        var updated = await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/domains/{org.DomainId}/", new { enabled = false }, Ct), HttpStatusCode.OK);
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_domains WHERE domain = $1", org.Domain));
    }

    [Fact]
    public async Task Email_accounts_are_created_with_validation_and_listed_with_quota_and_usage()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);

        var created = await Api.CreateAccountAsync(admin, "New.Person@" + org.Domain.ToUpperInvariant());
        Assert.Equal("new.person@" + org.Domain, created.GetProperty("address").GetString());
        Assert.Equal(100, created.GetProperty("quota_mb").GetInt32()); // the domain's default

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "no-at-sign", password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "address");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "x@" + org.Domain }, Ct), HttpStatusCode.BadRequest, "password");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "address");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "x@" + other.Domain, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "not one of your organization");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "new.person@" + org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.Conflict);

        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, 52428800, 7)", "new.person@" + org.Domain);
        var list = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.OK);
        var account = list.EnumerateArray().Single(e => e.GetProperty("address").GetString() == "new.person@" + org.Domain);
        Assert.Equal(52428800, account.GetProperty("used_bytes").GetInt64());
        Assert.Equal(7, account.GetProperty("used_messages").GetInt64());
        Assert.Equal(50.0, account.GetProperty("usage_percent").GetDouble());
        Assert.DoesNotContain(list.EnumerateArray().Select(e => e.GetProperty("address").GetString()!), a => a.EndsWith(other.Domain, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Quota_and_account_limits_are_enforced()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 2, totalQuotaMb: 300, domainTotalQuotaMb: 250);
        var admin = await Api.AsAsync(org.AdminUsername);
        var first = await Api.CreateAccountAsync(admin, "q1@" + org.Domain, quotaMb: 200);

        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "q2@" + org.Domain, password = TestApi.Password, quota_mb = 100 }, Ct), HttpStatusCode.BadRequest, "quota_mb");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "q2@" + org.Domain, password = TestApi.Password, quota_mb = 0 }, Ct), HttpStatusCode.BadRequest, "quota_mb");
        await Api.CreateAccountAsync(admin, "q2@" + org.Domain, quotaMb: 50);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/", new { address = "q3@" + org.Domain, password = TestApi.Password, quota_mb = 1 }, Ct), HttpStatusCode.BadRequest, "limit");

        var id = first.GetProperty("id").GetInt64();
        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { quota_mb = 201 }, Ct), HttpStatusCode.BadRequest, "quota_mb");
        var shrunk = await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{id}/", new { quota_mb = 150, display_name = "Renamed" }, Ct), HttpStatusCode.OK);
        Assert.Equal(150, shrunk.GetProperty("quota_mb").GetInt32());
        Assert.Equal("Renamed", shrunk.GetProperty("display_name").GetString());
        Assert.Equal(150, await ApiFactory.ScalarAsync("SELECT quota_mb FROM directory.mail_accounts WHERE email = $1", "q1@" + org.Domain));
    }

    [Fact]
    public async Task Email_account_listing_is_for_admins_in_their_scope()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "u@" + org.Domain);
        var user = await Api.AsAsync("u@" + org.Domain);
        var superadmin = await Api.SuperadminAsync();

        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/org/email-accounts/?organization={other.Id}", Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/org/email-accounts/?organization=abc", Ct), HttpStatusCode.BadRequest, "organization");
        var bySuperadmin = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/org/email-accounts/?organization={org.Id}", Ct), HttpStatusCode.OK);
        Assert.Equal(["u@" + org.Domain], bySuperadmin.EnumerateArray().Select(e => e.GetProperty("address").GetString()!));
        // Without a parameter (the client's call) a superadmin gets every organization's accounts.
        var all = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.OK);
        Assert.Contains("u@" + org.Domain, all.EnumerateArray().Select(e => e.GetProperty("address").GetString()!));
    }

    [Fact]
    public async Task An_admin_resets_a_mailbox_password_only_in_their_organization()
    {
        var org = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var otherAdmin = await Api.AsAsync(other.AdminUsername);
        var account = await Api.CreateAccountAsync(admin, "reset@" + org.Domain);
        var id = account.GetProperty("id").GetInt64();

        await TestApi.AssertErrorAsync(await otherAdmin.PostAsJsonAsync($"{Root}/org/email-accounts/{id}/password/", new { password = "another-pass-1" }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/{id}/password/", new { password = "short" }, Ct), HttpStatusCode.BadRequest, "password");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync($"{Root}/org/email-accounts/{id}/password/", new { password = "another-pass-1" }, Ct)).StatusCode);
        await Api.AsAsync("reset@" + org.Domain, "another-pass-1");
    }

    [Fact]
    public async Task Stored_password_hash_is_one_dovecot_verifies()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "dove@" + org.Domain);
        var hash = (string)(await ApiFactory.ScalarAsync("SELECT password FROM directory.mail_accounts WHERE email = $1", "dove@" + org.Domain))!;
        Assert.StartsWith("{BLF-CRYPT}$2y$", hash, StringComparison.Ordinal);

        var (exitCode, output) = await Doveadm.RunAsync("pw", "-t", hash, "-p", TestApi.Password);
        Assert.True(exitCode == 0, output);
        Assert.Contains("(verified)", output, StringComparison.Ordinal);
        var (wrongExit, _) = await Doveadm.RunAsync("pw", "-t", hash, "-p", "wrong-password");
        Assert.NotEqual(0, wrongExit);
    }
}

using Fayvad.Api.Tests.Contract;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;

namespace Fayvad.Api.Tests.Client;

/// <summary>The figures of the client server's org-admin and system-admin pages.</summary>
public sealed class ClientOrgAdminTests(ApiFactory factory) : ApiTest(factory)
{
    private async Task<long> CreateMailboxAsync(HttpClient admin, string email, int quotaMb)
    {
        var created = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { address = email, password = TestApi.Password, quota_mb = quotaMb }, Ct), HttpStatusCode.Created);
        return created.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task Org_limits_give_users_and_storage_against_the_limits_in_gb_and_mb()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 5, totalQuotaMb: 2048);
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "l1@" + org.Domain, 500);
        await CreateMailboxAsync(admin, "l2@" + org.Domain, 500);
        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, 536870912, 9)", "l1@" + org.Domain);

        var limits = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/limits/", Ct), HttpStatusCode.OK);
        Assert.Equal(5, limits.WholeNumber("max_users"));
        Assert.Equal(2, limits.WholeNumber("current_users"));
        Assert.Equal(2, limits.WholeNumber("max_storage_gb"));
        Assert.Equal(512, limits.Number("storage_used_mb"));
        Assert.Equal(25.0, limits.Number("storage_usage_percentage"));

        await TestApi.AssertErrorAsync(await (await Api.TokenClientAsync("l1@" + org.Domain)).GetAsync($"{Root}/org/limits/", Ct), HttpStatusCode.Forbidden);
        var service = await Api.ServiceAccountAsync();
        await TestApi.AssertErrorAsync(await service.GetAsync($"{Root}/org/limits/", Ct), HttpStatusCode.BadRequest, "organization");
        var bySuperadmin = await TestApi.ReadAsync(await service.GetAsync($"{Root}/org/limits/?organization={org.Id}", Ct), HttpStatusCode.OK);
        Assert.Equal(2, bySuperadmin.WholeNumber("current_users"));
    }

    [Fact]
    public async Task Org_dashboard_counts_users_and_accounts()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 10, totalQuotaMb: 10240);
        var other = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "d1@" + org.Domain, 100);
        var off = await CreateMailboxAsync(admin, "d2@" + org.Domain, 100);
        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{off}/", new { is_active = false }, Ct), HttpStatusCode.OK);
        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, 3145728, 1)", "d1@" + org.Domain);

        var dashboard = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/dashboard/", Ct), HttpStatusCode.OK);
        Assert.Equal("Org " + org.Slug, dashboard.Text("organization_name"));
        Assert.Equal(3, dashboard.WholeNumber("total_users")); // the admin and two mailbox users
        Assert.Equal(2, dashboard.WholeNumber("total_email_accounts"));
        Assert.Equal(1, dashboard.WholeNumber("active_email_accounts"));
        Assert.Equal(3, dashboard.Number("storage_used_mb"));
        Assert.Equal(10, dashboard.WholeNumber("storage_limit_gb"));
        Assert.Equal(10, dashboard.WholeNumber("user_limit"));

        var otherAdmin = await Api.TokenClientAsync(other.AdminUsername);
        await TestApi.AssertErrorAsync(await otherAdmin.GetAsync($"{Root}/org/dashboard/?organization={org.Id}", Ct), HttpStatusCode.Forbidden);
        await TestApi.AssertErrorAsync(await (await Api.TokenClientAsync("d1@" + org.Domain)).GetAsync($"{Root}/org/dashboard/", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Admin_analytics_counts_the_platform_for_the_system_admin()
    {
        var service = await Api.ServiceAccountAsync();
        var before = await TestApi.ReadAsync(await service.GetAsync($"{Root}/admin/analytics/", Ct), HttpStatusCode.OK);
        var org = await Api.CreateOrgAsync();
        var admin = await Api.TokenClientAsync(org.AdminUsername);
        await CreateMailboxAsync(admin, "an@" + org.Domain, 10);

        var after = await TestApi.ReadAsync(await service.GetAsync($"{Root}/admin/analytics/", Ct), HttpStatusCode.OK);
        // Other tests add to these counts at the same time; nothing here removes any.
        Assert.True(after.WholeNumber("total_organizations") >= before.WholeNumber("total_organizations") + 1);
        Assert.True(after.WholeNumber("active_organizations") >= before.WholeNumber("active_organizations") + 1);
        Assert.True(after.WholeNumber("total_users") >= before.WholeNumber("total_users") + 2);
        Assert.True(after.WholeNumber("total_email_accounts") >= before.WholeNumber("total_email_accounts") + 1);
        Assert.True(after.WholeNumber("active_organizations") <= after.WholeNumber("total_organizations"));

        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/admin/analytics/", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Admin_health_checks_the_database_and_the_mail_servers()
    {
        var service = await Api.ServiceAccountAsync();
        var health = await TestApi.ReadAsync(await service.GetAsync($"{Root}/admin/health/", Ct), HttpStatusCode.OK);
        Assert.Equal("healthy", health.Text("status"));
        Assert.Equal("ok", health.Text("database"));
        Assert.Equal("not used", health.Text("cache"));
        Assert.Equal("ok", health.Text("imap"));
        Assert.Equal("ok", health.Text("smtp"));
        Assert.InRange(health.Instant("timestamp"), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        var org = await Api.CreateOrgAsync();
        await TestApi.AssertErrorAsync(await (await Api.TokenClientAsync(org.AdminUsername)).GetAsync($"{Root}/admin/health/", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Admin_health_is_degraded_when_a_mail_server_does_not_answer()
    {
        // A port nobody listens on: bound, then released.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var noSmtp = Factory.WithWebHostBuilder(b => b.UseSetting("Mail:Smtp:Port", closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var client = noSmtp.CreateCheckedClient();
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/",
            new { username = StackSettings.Get("DEMO_SERVICE_USER"), password = StackSettings.Get("DEMO_SERVICE_PASSWORD") }, Ct), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", login.Text("token"));

        var health = await TestApi.ReadAsync(await client.GetAsync($"{Root}/admin/health/", Ct), HttpStatusCode.OK);
        Assert.Equal("degraded", health.Text("status"));
        Assert.Equal("ok", health.Text("database"));
        Assert.Equal("ok", health.Text("imap"));
        Assert.Equal("unreachable", health.Text("smtp"));
    }
}

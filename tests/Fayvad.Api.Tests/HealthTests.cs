using System.Net;
using System.Text.Json;
using Fayvad.Api.Tests.Client;

namespace Fayvad.Api.Tests;

public sealed class HealthTests(ApiFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Live_answers_while_the_process_runs_and_the_old_path_keeps_answering()
    {
        var client = Api.Anonymous();
        var live = await TestApi.ReadAsync(await client.GetAsync($"{Root}/health/live", Ct), HttpStatusCode.OK);
        Assert.Equal("healthy", live.Text("status"));
        var old = await client.GetAsync($"{Root}/health", Ct);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.Equal("Healthy", await old.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Ready_reports_postgresql_imap_and_submission_with_their_latency()
    {
        var ready = await TestApi.ReadAsync(await Api.Anonymous().GetAsync($"{Root}/health/ready/", Ct), HttpStatusCode.OK);
        Assert.Equal("healthy", ready.Text("status"));
        var checks = ready.GetProperty("checks");
        Assert.Equal(["imap", "postgresql", "smtp"], checks.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
        foreach (var check in checks.EnumerateObject())
        {
            Assert.Equal("healthy", check.Value.Text("status"));
            Assert.InRange(check.Value.GetProperty("latency_ms").GetDouble(), 0, 2000);
            Assert.False(check.Value.TryGetProperty("error", out _));
        }

        Assert.InRange(ready.Instant("checked_at"), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Ready_reuses_a_recent_result_and_checks_again_after_the_cache_duration()
    {
        await using var host = Factory.WithWebHostBuilder(b => b.UseSetting("Health:CacheDuration", "00:00:01"));
        var client = host.CreateClient();
        var first = await TestApi.ReadAsync(await client.GetAsync($"{Root}/health/ready", Ct), HttpStatusCode.OK);
        var again = await TestApi.ReadAsync(await client.GetAsync($"{Root}/health/ready", Ct), HttpStatusCode.OK);
        Assert.Equal(first.Instant("checked_at"), again.Instant("checked_at"));

        await Task.Delay(1100, Ct);
        var later = await TestApi.ReadAsync(await client.GetAsync($"{Root}/health/ready", Ct), HttpStatusCode.OK);
        Assert.True(later.Instant("checked_at") > first.Instant("checked_at"));
    }

    [Fact]
    public async Task Ready_is_503_naming_the_dependency_that_does_not_answer()
    {
        // A port nobody listens on: bound, then released.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        listener.Stop();

        await using var host = Factory.WithWebHostBuilder(b => b.UseSetting("Mail:Smtp:Port", closedPort));
        var ready = await TestApi.ReadAsync(await host.CreateClient().GetAsync($"{Root}/health/ready", Ct), HttpStatusCode.ServiceUnavailable);
        Assert.Equal("unhealthy", ready.Text("status"));
        var checks = ready.GetProperty("checks");
        Assert.Equal("healthy", checks.GetProperty("postgresql").Text("status"));
        Assert.Equal("healthy", checks.GetProperty("imap").Text("status"));
        Assert.Equal("unhealthy", checks.GetProperty("smtp").Text("status"));
        Assert.Contains("refuses connections", checks.GetProperty("smtp").Text("error"), StringComparison.Ordinal);
        // Liveness does not depend on anything.
        Assert.Equal(HttpStatusCode.OK, (await host.CreateClient().GetAsync($"{Root}/health/live", Ct)).StatusCode);
    }

    [Fact]
    public async Task Admin_health_carries_the_same_checks()
    {
        var superadmin = await Api.SuperadminAsync();
        var health = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/admin/health/", Ct), HttpStatusCode.OK);
        Assert.Equal("healthy", health.Text("status"));
        var checks = health.GetProperty("checks");
        foreach (var name in new[] { "postgresql", "imap", "smtp" })
        {
            Assert.Equal("healthy", checks.GetProperty(name).Text("status"));
            Assert.Equal(JsonValueKind.Number, checks.GetProperty(name).GetProperty("latency_ms").ValueKind);
        }
    }
}

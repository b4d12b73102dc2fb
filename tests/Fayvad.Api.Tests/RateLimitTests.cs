using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fayvad.Api.Tests.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fayvad.Api.Tests;

public sealed class RateLimitTests(ApiFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task A_caller_over_its_limit_gets_429_with_retry_after_others_do_not_and_it_recovers()
    {
        // Low limits in a host of this test's own; the window is long enough that four quick requests share one.
        await using var host = Factory.WithWebHostBuilder(b => b
            .UseSetting("RateLimiting:Groups:read:PermitLimit", "3")
            .UseSetting("RateLimiting:Groups:read:Window", "00:00:04")
            .UseSetting("RateLimiting:Groups:send:PermitLimit", "1")
            .UseSetting("RateLimiting:Groups:send:Window", "00:00:04"));
        var alice = await LoginAsync(host, "DEMO_USER");
        var bob = await LoginAsync(host, "DEMO_USER2");

        // Sending is its own, tighter group: one refused-as-invalid send uses it up, reading is untouched.
        await TestApi.AssertErrorAsync(await alice.PostAsJsonAsync($"{Root}/email/send/", new { to_emails = Array.Empty<string>(), subject = "x", body = "x" }, Ct), HttpStatusCode.BadRequest);
        await AssertLimitedAsync(await alice.PostAsJsonAsync($"{Root}/email/send/", new { to_emails = Array.Empty<string>(), subject = "x", body = "x" }, Ct));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);
        }

        var limited = await alice.GetAsync($"{Root}/auth/me/", Ct);
        var retryAfter = await AssertLimitedAsync(limited);

        // Another user's token has its own count.
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);
        await TestApi.AssertErrorAsync(await bob.PostAsJsonAsync($"{Root}/email/send/", new { to_emails = Array.Empty<string>(), subject = "x", body = "x" }, Ct), HttpStatusCode.BadRequest);

        // After Retry-After the caller is served again.
        await Task.Delay(retryAfter + TimeSpan.FromMilliseconds(200), Ct);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);
    }

    [Fact]
    public async Task Without_a_token_the_client_address_is_counted_and_login_keeps_its_own_throttle()
    {
        await using var host = Factory.WithWebHostBuilder(b => b
            .UseSetting("RateLimiting:Groups:read:PermitLimit", "2")
            .UseSetting("RateLimiting:Groups:read:Window", "00:00:30"));
        var first = Client(host, "198.51.100.7");
        var second = Client(host, "198.51.100.8");
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);
        await AssertLimitedAsync(await first.GetAsync($"{Root}/auth/me/", Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync($"{Root}/auth/me/", Ct)).StatusCode);

        // Made-up tokens do not open a count each: they are counted by address too.
        first.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Guid.NewGuid().ToString("N"));
        await AssertLimitedAsync(await first.GetAsync($"{Root}/auth/me/", Ct));

        // Login is not counted here (its failures have their own throttle), nor are the health probes.
        var login = await first.PostAsJsonAsync($"{Root}/auth/login/", new { username = StackSettings.Get("DEMO_USER_USER"), password = StackSettings.Get("DEMO_USER_PASSWORD") }, Ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync($"{Root}/health/live", Ct)).StatusCode);
    }

    [Fact]
    public void Invalid_limits_stop_the_api_at_start_naming_the_setting()
    {
        using var host = Factory.WithWebHostBuilder(b => b.UseSetting("RateLimiting:Groups:send:PermitLimit", "0"));
        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());
        Assert.Contains("RateLimiting:Groups:send:PermitLimit", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<TimeSpan> AssertLimitedAsync(HttpResponseMessage response)
    {
        var body = await TestApi.AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "too many requests");
        Assert.Contains("Try again in", body.Text("error"), StringComparison.Ordinal);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        return retryAfter.Value;
    }

    private static HttpClient Client(WebApplicationFactory<Program> host, string address)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, address);
        return client;
    }

    private async Task<HttpClient> LoginAsync(WebApplicationFactory<Program> host, string who)
    {
        var client = Client(host, "198.18.200.1");
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/",
            new { username = StackSettings.Get(who + "_USER"), password = StackSettings.Get(who + "_PASSWORD") }, Ct), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Text("token"));
        return client;
    }
}

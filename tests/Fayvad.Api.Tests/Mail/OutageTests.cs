using System.Net;
using System.Net.Http.Json;
using Fayvad.Api.Tests.Client;
using Fayvad.Api.Tests.Faults;

namespace Fayvad.Api.Tests.Mail;

/// <summary>Stops the shared Dovecot, so nothing else may run meanwhile.</summary>
[CollectionDefinition(nameof(MailServerOutage), DisableParallelization = true)]
public sealed class MailServerOutage;

[Collection(nameof(MailServerOutage))]
public sealed class OutageTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task With_dovecot_stopped_mail_answers_503_and_recovers_without_restarting_the_api()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        var superadmin = await Api.SuperadminAsync();
        Assert.Equal("healthy", (await ReadyAsync()).Text("status"));

        // This stack's imap session processes, taken before the stop: they outlive the master, and only these may be
        // killed (other stacks on the machine run processes of the same name).
        var sessions = StackProcesses.DovecotSessionPids();
        Assert.NotEmpty(sessions); // at least the pooled session of the request above
        await StackProcesses.RunAsync("doveadm", "-c", StackSettings.Get("DOVECOT_CONF"), "stop");
        try
        {
            // doveadm stop only signals the master: wait until the server is really gone.
            var gone = DateTime.UtcNow.AddSeconds(10);
            while (await StackProcesses.AnswersAsync(Dependency.Dovecot, Ct) && DateTime.UtcNow < gone)
            {
                await Task.Delay(100, Ct);
            }

            Assert.False(await StackProcesses.AnswersAsync(Dependency.Dovecot, Ct), "Dovecot did not stop");

            // Authenticated imap processes outlive the master; a stopped server has none left.
            foreach (var pid in sessions)
            {
                StackProcesses.KillIfStill(pid, "imap");
            }

            // A session already open may outlive the master for a moment; after that every answer is a clear 503.
            var deadline503 = DateTime.UtcNow.AddSeconds(10);
            HttpResponseMessage response;
            do
            {
                response = await box.Client.GetAsync($"{Root}/email/folders/", Ct);
            }
            while (response.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline503 && await Delay());
            await TestApi.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "mail server");
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.ServiceUnavailable, "mail server");

            // Not ready within the check timeout plus the cache duration (2 s + 3 s by default).
            var notReady = await ReadyAsync(until: "unhealthy", within: TimeSpan.FromSeconds(10));
            var checks = notReady.GetProperty("checks");
            Assert.Equal("healthy", checks.GetProperty("postgresql").Text("status"));
            Assert.Equal("unhealthy", checks.GetProperty("imap").Text("status"));
            // Submission is not even probed while Dovecot is down (a probe would make Postfix throttle it for 60 s).
            Assert.Contains("Not probed", checks.GetProperty("smtp").Text("error"), StringComparison.Ordinal);
            var admin = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/admin/health/", Ct), HttpStatusCode.OK);
            Assert.Equal("degraded", admin.Text("status"));
            Assert.Equal("unreachable", admin.Text("imap"));
            Assert.Equal("ok", admin.Text("database"));

            // No send here: a submission attempt while Dovecot's auth socket is gone makes Postfix throttle its
            // submission service for 60 s (see the closing note), which would fail unrelated tests after this one.
        }
        finally
        {
            // Through a shell with its output elsewhere, so the daemon does not hold this process's pipes open.
            await StackProcesses.RunAsync("bash", "-c", $"dovecot -c '{StackSettings.Get("DOVECOT_CONF")}' </dev/null >/dev/null 2>&1");
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, Ct);
            status = (await box.Client.GetAsync($"{Root}/email/folders/", Ct)).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        await ReadyAsync(until: "healthy", within: TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task With_postgresql_stopped_requests_answer_503_with_retry_after_and_recover_without_restarting_the_api()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        var data = Path.Combine(StackSettings.Get("STACK_DIR"), "pg", "data");

        await StackProcesses.RunAsync("runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", data, "-m", "fast", "-w", "stop");
        try
        {
            // Every request checks its token in PostgreSQL: each one is now a clear 503, never a 500.
            foreach (var path in new[] { "/auth/me/", "/email/folders/", "/domains/" })
            {
                var response = await box.Client.GetAsync(Root + path, Ct);
                await TestApi.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "database");
                Assert.NotNull(response.Headers.RetryAfter);
            }

            var login = await Api.Anonymous().PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = TestApi.Password }, Ct);
            await TestApi.AssertErrorAsync(login, HttpStatusCode.ServiceUnavailable, "database");

            var notReady = await ReadyAsync(until: "unhealthy", within: TimeSpan.FromSeconds(10));
            Assert.Equal("unhealthy", notReady.GetProperty("checks").GetProperty("postgresql").Text("status"));
            Assert.Equal("PostgreSQL does not answer.", notReady.GetProperty("checks").GetProperty("postgresql").Text("error"));
        }
        finally
        {
            // stack.sh starts only what is not running, with the stack's own settings.
            await StackProcesses.EnsureUpAsync();

            // The tests' own pooled connections died with the server: later tests must not get one.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100, Ct);
            status = (await box.Client.GetAsync($"{Root}/auth/me/", Ct)).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);

        // Mail needs Dovecot's own SQL connections back too: its pgsql driver reconnects on its own schedule.
        var mailDeadline = DateTime.UtcNow.AddSeconds(45);
        do
        {
            status = (await box.Client.GetAsync($"{Root}/email/folders/", Ct)).StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"folders during Dovecot's reconnect: {(int)status}");
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < mailDeadline && await Delay());
        Assert.Equal(HttpStatusCode.OK, status);
        await ReadyAsync(until: "healthy", within: TimeSpan.FromSeconds(10));
    }

    /// <summary>/health/ready, polled until its status is <paramref name="until"/> (200 for healthy, else 503).</summary>
    private async Task<System.Text.Json.JsonElement> ReadyAsync(string until = "healthy", TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        var client = Api.Anonymous();
        while (true)
        {
            var response = await client.GetAsync($"{Root}/health/ready", Ct);
            var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
            if (body.Text("status") == until || DateTime.UtcNow > deadline)
            {
                Assert.Equal(until, body.Text("status"));
                Assert.Equal(until == "healthy" ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, response.StatusCode);
                return body;
            }

            await Task.Delay(200, Ct);
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200, TestContext.Current.CancellationToken);
        return true;
    }
}

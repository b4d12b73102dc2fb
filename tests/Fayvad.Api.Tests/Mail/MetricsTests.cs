using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Fayvad.Api.Tests.Client;

namespace Fayvad.Api.Tests.Mail;

public sealed partial class MetricsTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task The_scrape_endpoint_answers_loopback_and_the_configured_networks_only()
    {
        var loopback = Factory.CreateClient();
        loopback.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, "127.0.0.1");
        var scrape = await loopback.GetAsync($"{Root}/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("fayvad_mail_imap_pool_open", await scrape.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Anyone else (a test client's address, or a client forwarded by a proxy) is refused.
        await TestApi.AssertErrorAsync(await Api.Anonymous().GetAsync($"{Root}/metrics", Ct), HttpStatusCode.Forbidden, "not served");

        await using var host = Factory.WithWebHostBuilder(b => b
            .UseSetting("Telemetry:Metrics:AllowedNetworks:0", "198.51.100.0/24")
            .UseSetting("Telemetry:Metrics:Path", "/internal/metrics"));
        var monitoring = host.CreateClient();
        monitoring.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, "198.51.100.20");
        Assert.Equal(HttpStatusCode.OK, (await monitoring.GetAsync("/internal/metrics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await monitoring.GetAsync($"{Root}/metrics", Ct)).StatusCode);
    }

    /// <summary>A process of its own, so no other test's traffic moves these counters.</summary>
    [Fact]
    public async Task After_a_list_sends_and_a_stream_the_scrape_shows_the_project_meters_moving()
    {
        var box = await MailboxAsync();
        await using var node = await HostProcess.StartAsync("metrics-" + Guid.NewGuid().ToString("N")[..6], Ct);
        var client = node.Client();
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Text("token"));

        var before = await ScrapeAsync(node);
        Assert.Equal(0, before.Value("fayvad_mail_send_submitted_total"));
        Assert.Equal(0, before.Value("fayvad_mail_push_open_streams"));

        await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/?folder=INBOX", Ct), HttpStatusCode.OK);
        // Disposed below, to see the stream counted closed (the node is killed at the end anyway).
        var stream = await SseReader.OpenAsync(client, Ct);

        var subject = Unique("metered");
        using var first = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/") { Content = JsonContent.Create(new { to_emails = new[] { box.Address }, subject, body = "counted once" }) };
        first.Headers.Add("Idempotency-Key", subject);
        await TestApi.ReadAsync(await client.SendAsync(first, Ct), HttpStatusCode.OK);
        using var retry = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/") { Content = JsonContent.Create(new { to_emails = new[] { box.Address }, subject, body = "counted once" }) };
        retry.Headers.Add("Idempotency-Key", subject);
        await TestApi.ReadAsync(await client.SendAsync(retry, Ct), HttpStatusCode.OK);
        await TestApi.AssertErrorAsync(await client.PostAsJsonAsync($"{Root}/email/send/",
            new { to_emails = new[] { "nobody-here@" + box.Org.Domain }, subject = "refused", body = "x" }, Ct), HttpStatusCode.BadRequest, "refused");
        await stream.NextAsync(e => e.Type == "message.new" && e.Data.GetProperty("folder").GetString() == "INBOX", Ct);

        var after = await ScrapeAsync(node);
        Assert.Equal(1, after.Value("fayvad_mail_send_submitted_total"));
        Assert.Equal(1, after.Value("fayvad_mail_send_idempotent_replays_total"));
        Assert.Equal(1, after.Value("fayvad_mail_send_failed_total", "reason=\"recipient_refused\""));
        Assert.Equal(1, after.Value("fayvad_mail_push_open_streams"));
        Assert.True(after.Value("fayvad_mail_push_events_total", "type=\"message.new\"") >= 1, after.Text);
        // The event came from a pass on this node, the stream's: asked for by a hint (Dovecot's, or passed on by
        // another node) and timed.
        Assert.True(after.Value("fayvad_mail_push_hints_total") >= 1, after.Text);
        Assert.True(after.Value("fayvad_mail_push_passes_total", "result=\"ok\"") >= 1, after.Text);
        Assert.True(after.Value("fayvad_mail_push_lag_seconds_count") >= 1, after.Text);
        Assert.True(after.Value("fayvad_mail_push_lag_seconds_bucket", "le=\"+Inf\"") == after.Value("fayvad_mail_push_lag_seconds_count"), after.Text);
        Assert.True(after.Value("fayvad_mail_imap_pool_open") >= 1, after.Text);
        Assert.True(after.Value("fayvad_mail_imap_pool_idle") >= 0, after.Text);
        Assert.Equal(0, after.Value("fayvad_mail_imap_pool_waiting"));
        // The instrumentation of ASP.NET Core and Npgsql is there too.
        Assert.True(after.Value("http_server_request_duration_seconds_count", "http_route=\"/fayvad_api/email/send\"") >= 3, after.Text);
        Assert.True(after.Value("db_client_operation_duration_seconds_count") > before.Value("db_client_operation_duration_seconds_count"), after.Text);

        await stream.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await ScrapeAsync(node)).Value("fayvad_mail_push_open_streams") != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        Assert.Equal(0, (await ScrapeAsync(node)).Value("fayvad_mail_push_open_streams"));
    }

    /// <summary>
    /// A pooled connection keeps its folder selected (docs/adr/0020): the next request there costs a NOOP. The folder list
    /// on the same connection repeats the folder's unchanged counts (LIST-STATUS) and must not cost a new EXAMINE; a
    /// message another client appends does.
    /// </summary>
    [Fact]
    public async Task A_kept_folder_serves_the_next_request_after_a_folder_list_and_is_selected_again_after_another_clients_append()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "one", "x")], Ct);
        await using var node = await HostProcess.StartAsync("kept-" + Guid.NewGuid().ToString("N")[..6], Ct);
        var client = node.Client();
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Text("token"));
        async Task<int> ListAsync() => (await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/?folder=INBOX", Ct), HttpStatusCode.OK)).GetProperty("messages").GetArrayLength();

        Assert.Equal(1, await ListAsync());
        Assert.Equal(1, await ListAsync());
        await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);
        Assert.Equal(1, await ListAsync());
        var kept = await ScrapeAsync(node);
        Assert.Equal(1, kept.Value("fayvad_mail_imap_folder_opens_total", "how=\"selected\""));
        Assert.Equal(2, kept.Value("fayvad_mail_imap_folder_opens_total", "how=\"kept\""));

        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "two", "x")], Ct);
        Assert.Equal(2, await ListAsync());
        // The exporter may answer a scrape from its cache of the last 300 ms: asked again until the counter moves.
        var after = await ScrapeAsync(node);
        for (var deadline = DateTime.UtcNow.AddSeconds(5); after.Value("fayvad_mail_imap_folder_opens_total") < 4 && DateTime.UtcNow < deadline; after = await ScrapeAsync(node))
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(2, after.Value("fayvad_mail_imap_folder_opens_total", "how=\"selected\""));
        Assert.Equal(2, after.Value("fayvad_mail_imap_folder_opens_total", "how=\"kept\""));
    }

    private async Task<Scrape> ScrapeAsync(HostProcess node)
    {
        using var http = node.Client();
        var response = await http.GetAsync($"{Root}/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new Scrape(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Prometheus text format: the sum over the series of a metric whose labels contain every given pair.</summary>
    private sealed partial record Scrape(string Text)
    {
        public double Value(string metric, params string[] labels) => Sample().Matches(Text)
            .Where(m => m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
        private static partial Regex Sample();
    }
}

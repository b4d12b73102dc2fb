using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fayvad.Api.Tests;

public sealed class OtlpTests(ApiFactory factory) : ApiTest(factory)
{
    /// <summary>
    /// With a collector configured (here a loopback listener), traces and metrics are exported over OTLP/HTTP, the
    /// mail server's part of a request included (docs/adr/0040).
    /// </summary>
    [Fact]
    public async Task With_a_collector_configured_traces_and_metrics_are_exported_to_it()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync(Ct);

        await using var node = await HostProcess.StartAsync("otlp-" + Guid.NewGuid().ToString("N")[..6], Ct, new Dictionary<string, string>
        {
            ["Telemetry__Otlp__Endpoint"] = collector.Urls.Single(),
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        Assert.Equal(HttpStatusCode.OK, (await node.Client().GetAsync($"{Root}/health/ready", Ct)).StatusCode);
        // A mail request on that node: its IMAP session and commands are exported with the request's trace.
        var org = await Api.CreateOrgAsync();
        var address = $"otlp@{org.Domain}";
        await Api.CreateAccountAsync(await Api.AsAsync(org.AdminUsername), address);
        var token = (await Api.LoginAsync(address, TestApi.Password)).Login.GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await node.Client(token).GetAsync($"{Root}/email/folders/", Ct)).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !(Has("/v1/traces", "/fayvad_api/health/ready") && Has("/v1/traces", "imap session")
            && Has("/v1/metrics", "fayvad.mail.imap.pool.open")))
        {
            await Task.Delay(200, Ct);
        }

        Assert.True(Has("/v1/traces", "/fayvad_api/health/ready"), "no trace of the request reached the collector");
        Assert.True(Has("/v1/traces", "fayvad-api"), "the service name is not in the exported resource");
        Assert.True(Has("/v1/traces", "imap session") && Has("/v1/traces", "imap LIST"), "no IMAP span of the folder list reached the collector");
        Assert.True(Has("/v1/metrics", "fayvad.mail.imap.pool.open"), "the project's meters were not exported");

        // Protobuf keeps strings as UTF-8 bytes, so a name can be found in the payload.
        bool Has(string path, string text) => received.Any(r => r.Path == path && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));
    }
}

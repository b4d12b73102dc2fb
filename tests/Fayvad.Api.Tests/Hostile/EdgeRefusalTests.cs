using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;

namespace Fayvad.Api.Tests.Hostile;

/// <summary>The real API (its own process, so Kestrel's own request parser runs: TestServer has none).</summary>
public sealed class KestrelApi : IAsyncLifetime
{
    public HostProcess Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Api = await HostProcess.StartAsync("edge-" + Guid.NewGuid().ToString("N")[..6], CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
    }
}

/// <summary>
/// Requests refused for their head (the URL, the headers) get the API's <c>{"error"}</c> body, not Kestrel's empty one:
/// sent byte for byte over a socket, as a hostile client would (docs/adr/0032).
/// </summary>
[Collection(ApiProcesses.Name)]
public sealed class EdgeRefusalTests(KestrelApi kestrel) : IClassFixture<KestrelApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Headers(int count, int valueLength) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"X-Pad-{i}: {new string('a', valueLength)}\r\n"));

    public static TheoryData<string, int, string> Refused => new()
    {
        { "a URL over 8 KB", 414, $"GET /fayvad_api/health/live?pad={new string('a', 9000)} HTTP/1.1\r\nHost: api\r\n" },
        { "headers over 32 KB together", 431, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\n" + Headers(40, 1000) },
        { "one header of 40 KB", 431, $"GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX-Pad: {new string('a', 40_000)}\r\n" },
        { "150 headers", 431, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\n" + Headers(150, 4) },
        { "a Latin-1 byte in a header", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX-Name: caf\u00e9\r\n" },
        { "UTF-8 in a header", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX-Name: caf\u00c3\u00a9\r\n" },
        { "a control character in a header", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX-Name: a\u0001b\r\n" },
        { "a non-ASCII byte in the Authorization header", 400, "GET /fayvad_api/auth/me HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer \u00ff\u00fe\r\n" },
        { "%00 in the query", 400, "GET /fayvad_api/health/live?x=a%00b HTTP/1.1\r\nHost: api\r\n" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_request_refused_for_its_head_gets_the_error_body(string what, int status, string head)
    {
        var response = await SendAsync(kestrel.Api.Port, head);
        Assert.True(response.Status == status, $"{what}: expected {status}, got {response.Status} {response.Body}");
        Assert.StartsWith("application/json", response.Header("Content-Type"), StringComparison.Ordinal);
        var error = JsonDocument.Parse(response.Body).RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error), what);
        Assert.Equal("nosniff", response.Header("X-Content-Type-Options"));
    }

    /// <summary>Heads Kestrel itself refuses before any middleware runs: the connection filter adds the body.</summary>
    public static TheoryData<string, int, string> RefusedByKestrel => new()
    {
        { "%00 in the path", 400, "GET /fayvad_api/email/%00/ HTTP/1.1\r\nHost: api\r\n" },
        { "a NUL byte in the path", 400, "GET /fayvad_api/email/a\u0000b/ HTTP/1.1\r\nHost: api\r\n" },
        { "a space in the path", 400, "GET /fayvad_api/email/a b/ HTTP/1.1\r\nHost: api\r\n" },
        { "a non-ASCII byte in the path", 400, "GET /fayvad_api/email/caf\u00e9/ HTTP/1.1\r\nHost: api\r\n" },
        { "a NUL byte in a header", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX-Name: a\u0000b\r\n" },
        { "a header line without a colon", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nNo colon here\r\n" },
        { "a space in a header name", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nX Name: a\r\n" },
        { "no Host", 400, "GET /fayvad_api/health/live HTTP/1.1\r\n" },
        { "two Host headers", 400, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nHost: other\r\n" },
        { "a Content-Length that is not a number", 400, "POST /fayvad_api/auth/login/ HTTP/1.1\r\nHost: api\r\nContent-Length: ten\r\n" },
        { "an unknown HTTP version", 505, "GET /fayvad_api/health/live HTTP/1.2\r\nHost: api\r\n" },
        { "a request line over Kestrel's own limit", 414, $"GET /fayvad_api/health/live?pad={new string('a', 70_000)} HTTP/1.1\r\nHost: api\r\n" },
        { "headers over Kestrel's own limit", 431, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\n" + Headers(140, 1000) },
    };

    [Theory]
    [MemberData(nameof(RefusedByKestrel))]
    public async Task A_request_Kestrel_refuses_gets_the_error_body(string what, int status, string head) =>
        await A_request_refused_for_its_head_gets_the_error_body(what, status, head);

    [Fact]
    public async Task A_keep_alive_connection_serves_on_after_an_error_answer_of_the_pipeline()
    {
        // The filter holds an error answer until its flush: the API's own 404 goes out whole and the connection serves on.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, kestrel.Api.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "GET /fayvad_api/no-such-route/ HTTP/1.1\r\nHost: api\r\n\r\n" +
            "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"), Ct);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, Ct);
        var text = Encoding.ASCII.GetString(received.ToArray());
        var second = text.IndexOf("HTTP/1.1 200", StringComparison.Ordinal);
        Assert.True(second > 0, text);
        var first = Parse(received.ToArray().AsSpan(0, second).ToArray());
        Assert.Equal(404, first.Status);
        Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(first.Body).RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Heads_within_the_limits_pass()
    {
        var longUrl = await SendAsync(kestrel.Api.Port, $"GET /fayvad_api/health/live?pad={new string('a', 7000)} HTTP/1.1\r\nHost: api\r\n");
        Assert.Equal(200, longUrl.Status);
        var manyHeaders = await SendAsync(kestrel.Api.Port, "GET /fayvad_api/health/live HTTP/1.1\r\nHost: api\r\n" + Headers(90, 300));
        Assert.Equal(200, manyHeaders.Status);
        Assert.Equal("nosniff", manyHeaders.Header("X-Content-Type-Options"));
    }

    public sealed record RawResponse(int Status, IReadOnlyList<(string Name, string Value)> Headers, string Body)
    {
        public string Header(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
    }

    /// <summary>Sends <paramref name="head"/> (one byte per char, as Latin-1) and a closing blank line; reads the answer to the end.</summary>
    public static async Task<RawResponse> SendAsync(int port, string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head + "Connection: close\r\n\r\n"), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        return Parse(received.ToArray());
    }

    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no response head: '{text}'");
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0].Trim(), p[1].Trim())).ToList();
        var body = text[(end + 4)..];
        if (headers.Any(h => h.Item1.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Item2.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var decoded = new StringBuilder();
            var at = 0;
            while (true)
            {
                var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(body[at..lineEnd].Split(';')[0], 16);
                if (size == 0)
                {
                    break;
                }

                decoded.Append(body, lineEnd + 2, size);
                at = lineEnd + 2 + size + 2;
            }

            body = decoded.ToString();
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(body)));
    }
}

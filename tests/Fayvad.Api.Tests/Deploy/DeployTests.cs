using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fayvad.Api.Tests.Faults;
using Fayvad.Api.Tests.Mail;

namespace Fayvad.Api.Tests.Deploy;

/// <summary>
/// The production deployment of docs/adr/0024 as a user meets it: the published API started with the systemd unit's
/// command, behind nginx from Debian running the real site file over TLS, everything on loopback.
/// </summary>
[Collection(ApiProcesses.Name)]
public sealed class DeployTests(ApiFactory factory, DeployedApi deployed) : MailTest(factory), IClassFixture<DeployedApi>
{
    /// <summary>Over HTTP/2, as a browser talks to this site.</summary>
    [Fact]
    public async Task Login_list_send_with_an_attachment_and_an_event_all_through_nginx()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        using var senderWeb = await LoginAsync(sender.Address, http2: true);
        using var toWeb = await LoginAsync(to.Address, http2: true);

        await using var events = await SseReader.OpenAsync(toWeb, Ct);
        var empty = await TestApi.ReadAsync(await toWeb.GetAsync($"{Root}/email/messages/?folder=INBOX", Ct), HttpStatusCode.OK);
        Assert.Empty(empty.GetProperty("messages").EnumerateArray());

        // 3 MB of random bytes: past nginx's in-memory body buffer (1 MB), so it is spooled and passed on intact.
        var file = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var subject = Unique("Through nginx");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(to.Address), "to_emails" },
            { new StringContent(subject), "subject" },
            { new StringContent("sent through the proxy"), "body" },
        };
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "attachments", "report.bin");
        var send = await senderWeb.PostAsync($"{Root}/email/send/", form, Ct);
        Assert.Equal(HttpVersion.Version20, send.Version);
        await TestApi.ReadAsync(send, HttpStatusCode.OK);
        var sent = Stopwatch.StartNew();

        // The event comes through the proxy while the stream stays open: nginx passes it on, it does not buffer it.
        var created = await events.NextAsync(e => e.Type == "message.new" && e.Data.GetProperty("message").GetProperty("subject").GetString() == subject, Ct);
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(10), $"the event took {sent.Elapsed.TotalSeconds:0.0} s");
        var id = created.Data.GetProperty("message").GetProperty("id").GetString();
        var inbox = await TestApi.ReadAsync(await toWeb.GetAsync($"{Root}/email/messages/?folder=INBOX", Ct), HttpStatusCode.OK);
        Assert.Equal(id, Assert.Single(inbox.GetProperty("messages").EnumerateArray()).GetProperty("id").GetString());

        var detail = await TestApi.ReadAsync(await toWeb.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
        var attachment = Assert.Single(detail.GetProperty("attachments").EnumerateArray());
        Assert.Equal("report.bin", attachment.GetProperty("filename").GetString());
        var downloaded = await toWeb.GetByteArrayAsync($"{Root}/email/messages/{id}/attachments/{attachment.GetProperty("id").GetString()}/", Ct);
        Assert.Equal(file.Length, downloaded.Length);
        Assert.Equal(DeployedApi.Sha256(file), DeployedApi.Sha256(downloaded));
    }

    [Fact]
    public async Task The_api_sees_the_client_address_and_https_that_nginx_forwards()
    {
        var sender = await MailboxAsync("sender");
        await MailboxAsync("other", sender.Org);

        // Metrics are served to 127.0.0.2 only (DeployedApi); nginx itself connects from 127.0.0.1.
        using (var allowed = deployed.Front.Client(from: DeployedApi.MetricsClient, checkContract: false))
        {
            var scrape = await allowed.GetAsync($"{Root}/metrics", Ct);
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Contains("http_server_request_duration_seconds", await scrape.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var forged = deployed.Front.Client(checkContract: false))
        {
            // A client's own X-Forwarded-For is replaced by nginx, so naming the allowed address buys nothing.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Root}/metrics");
            request.Headers.Add("X-Forwarded-For", DeployedApi.MetricsClient.ToString());
            await TestApi.AssertErrorAsync(await forged.SendAsync(request, Ct), HttpStatusCode.Forbidden);
        }

        // Absolute paging links keep the scheme and host the client used (X-Forwarded-Proto, Host).
        using var admin = await LoginAsync(sender.Org.AdminUsername);
        var page = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/?page=1&page_size=1", Ct), HttpStatusCode.OK);
        Assert.StartsWith($"https://127.0.0.1:{deployed.Front.HttpsPort}{Root}/org/email-accounts", page.GetProperty("next").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nginx_refuses_in_the_apis_words_and_sends_plain_http_to_https()
    {
        using var web = deployed.Front.Client(checkContract: false);

        // Past the largest body the API takes (36 MiB): refused before any of it is sent (Expect: 100-continue).
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/") { Content = new ByteArrayContent(new byte[(36 * 1024 * 1024) + 1]) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.ExpectContinue = true;
            await TestApi.AssertErrorAsync(await web.SendAsync(request, Ct), HttpStatusCode.RequestEntityTooLarge, "36 MB");
        }

        await TestApi.AssertErrorAsync(await web.GetAsync("/not-the-api", Ct), HttpStatusCode.NotFound);

        using (var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{deployed.Front.HttpPort}") })
        {
            var redirect = await plain.GetAsync($"{Root}/health/live", Ct);
            Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
            Assert.Equal($"https://127.0.0.1{Root}/health/live", redirect.Headers.Location?.ToString());
        }

        // The API not answering (stopped, restarting): 503 with Retry-After and {"error"}, not nginx's HTML 502.
        await using var orphan = await NginxFront.StartAsync($"127.0.0.1:{HostProcess.FreePort()}", Ct);
        using var toNothing = orphan.Client(checkContract: false);
        var down = await toNothing.GetAsync($"{Root}/health/live", Ct);
        Assert.Equal(TimeSpan.FromSeconds(5), down.Headers.RetryAfter?.Delta);
        await TestApi.AssertErrorAsync(down, HttpStatusCode.ServiceUnavailable, "not answering");
    }

    /// <summary>
    /// Heads nginx refuses itself, and those it passes to the API, all answer the {"error"} JSON: sent byte for byte
    /// over TLS, as a hostile client would (docs/adr/0032).
    /// </summary>
    [Fact]
    public async Task A_request_refused_for_its_head_gets_the_error_body_through_nginx()
    {
        string Head(string line, string headers = "") => $"{line}\r\nHost: localhost\r\n{headers}";
        var cases = new (string What, int Status, string Head)[]
        {
            ("a URL over 8 KB", 414, Head($"GET {Root}/health/live?pad={new string('a', 9000)} HTTP/1.1")),
            ("a URL of 200 KB", 414, Head($"GET {Root}/health/live?pad={new string('a', 200_000)} HTTP/1.1")),
            ("one header over 8 KB", 431, Head($"GET {Root}/health/live HTTP/1.1", $"X-Pad: {new string('a', 9000)}\r\n")),
            ("headers over 32 KB together", 431, Head($"GET {Root}/health/live HTTP/1.1",
                string.Concat(Enumerable.Range(0, 40).Select(i => $"X-Pad-{i}: {new string('a', 1000)}\r\n")))),
            ("150 headers", 431, Head($"GET {Root}/health/live HTTP/1.1", string.Concat(Enumerable.Range(0, 150).Select(i => $"X-Pad-{i}: a\r\n")))),
            ("a Latin-1 byte in a header", 400, Head($"GET {Root}/health/live HTTP/1.1", "X-Name: caf\u00e9\r\n")),
            ("a NUL in a header", 400, Head($"GET {Root}/health/live HTTP/1.1", "X-Name: a\u0000b\r\n")),
            ("a raw NUL in the path", 400, Head($"GET {Root}/health/a\u0000b HTTP/1.1")),
            ("%00 in the path", 400, Head($"GET {Root}/email/messages/a%00b/ HTTP/1.1")),
            ("a space in the path", 400, Head($"GET {Root}/health live HTTP/1.1")),
            ("no Host header", 400, $"GET {Root}/health/live HTTP/1.1\r\n"),
            ("Content-Length and Transfer-Encoding", 400, Head($"POST {Root}/email/send/ HTTP/1.1", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n")),
            ("a Content-Length that is not a number", 400, Head($"POST {Root}/email/send/ HTTP/1.1", "Content-Length: abc\r\n")),
        };

        var failures = new List<string>();
        foreach (var (what, status, head) in cases)
        {
            var response = await RawTlsAsync(head);
            var json = response.Header("Content-Type").StartsWith("application/json", StringComparison.Ordinal);
            string? error = null;
            try
            {
                error = json ? System.Text.Json.JsonDocument.Parse(response.Body).RootElement.GetProperty("error").GetString() : null;
            }
            catch (System.Text.Json.JsonException)
            {
            }

            if (response.Status != status || string.IsNullOrWhiteSpace(error))
            {
                failures.Add($"{what}: {response.Status} {response.Header("Content-Type")} {response.Body[..Math.Min(200, response.Body.Length)]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Sends <paramref name="head"/> (Latin-1, one byte per char) over TLS to nginx and reads the answer to the end.</summary>
    private async Task<Hostile.EdgeRefusalTests.RawResponse> RawTlsAsync(string head)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, deployed.Front.HttpsPort, Ct);
        var expected = deployed.Front.CertificateHash;
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false,
            (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == expected);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, Ct);
        await tls.WriteAsync(System.Text.Encoding.Latin1.GetBytes(head + "Connection: close\r\n\r\n"), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var received = new MemoryStream();
        try
        {
            await tls.CopyToAsync(received, timeout.Token);
        }
        catch (IOException) when (received.Length > 0)
        {
            // nginx may reset the connection after a refusal it sent; what came before the reset is the answer.
        }

        return Hostile.EdgeRefusalTests.Parse(received.ToArray());
    }

    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify_and_keeps_its_sandbox()
    {
        var copy = Path.Combine(System.IO.Directory.CreateTempSubdirectory("fayvad-unit-").FullName, "fayvad-api.service");
        File.Copy(SystemdUnit.FilePath, copy);
        try
        {
            // verify exits non-zero on an unknown option, a bad value or an ExecStart program that does not exist.
            await StackProcesses.RunAsync("systemd-analyze", "verify", copy);
            // The sandbox's exposure score (0 = fully locked, 10 = none; the threshold counts tenths): 1.6 when written.
            var security = await StackProcesses.RunAsync("systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", copy);
            Assert.Contains("Overall exposure level", security, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    private async Task<HttpClient> LoginAsync(string username, bool http2 = false)
    {
        using var anonymous = deployed.Front.Client(http2: http2);
        var login = await TestApi.ReadAsync(await anonymous.PostAsJsonAsync($"{Root}/auth/login/", new { username, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        return deployed.Front.Client(login.GetProperty("token").GetString(), http2: http2);
    }
}

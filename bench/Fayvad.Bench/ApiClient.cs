using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Fayvad.Bench;

/// <summary>The API over HTTP, as the Django client calls it: snake_case JSON, <c>Authorization: Bearer</c>.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, int maxConnections = 256)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public HttpClient Http => _http;

    public async Task<string> LoginAsync(string username, string password, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(Rel("fayvad_api/auth/login/"), new { username, password }, ct);
        var body = await ReadJsonAsync(response, HttpStatusCode.OK, $"login as {username}", ct);
        return body.GetProperty("token").GetString()!;
    }

    /// <summary>
    /// The bench mailbox, created by the org admin when missing; when it exists its password is reset. Either way the
    /// password is fresh for this run and lives only in memory.
    /// </summary>
    public async Task<string> EnsureMailboxAsync(string adminToken, string address, int quotaMb, CancellationToken ct)
    {
        var password = NewPassword();
        using (var list = Authorized(HttpMethod.Get, $"fayvad_api/org/email-accounts/?search={Uri.EscapeDataString(address)}", adminToken))
        using (var response = await _http.SendAsync(list, ct))
        {
            var body = await ReadJsonAsync(response, HttpStatusCode.OK, "list email accounts", ct);
            // A bare array: the list is unpaged unless a page is asked for.
            foreach (var account in body.EnumerateArray())
            {
                if (string.Equals(account.GetProperty("address").GetString(), address, StringComparison.OrdinalIgnoreCase))
                {
                    var id = account.GetProperty("id").GetInt64();
                    using var reset = Authorized(HttpMethod.Post, $"fayvad_api/org/email-accounts/{id}/password/", adminToken);
                    reset.Content = JsonContent.Create(new { password });
                    using var resetResponse = await _http.SendAsync(reset, ct);
                    await EnsureAsync(resetResponse, HttpStatusCode.NoContent, "reset the bench mailbox password", ct);
                    Console.WriteLine($"[bench] mailbox {address} exists (id {id}); password reset for this run");
                    return password;
                }
            }
        }

        using var create = Authorized(HttpMethod.Post, "fayvad_api/org/email-accounts/", adminToken);
        create.Content = JsonContent.Create(new
        {
            address,
            password,
            display_name = "Bench Mailbox",
            first_name = "Bench",
            last_name = "Mailbox",
            quota_mb = quotaMb,
        });
        using var created = await _http.SendAsync(create, ct);
        var account2 = await ReadJsonAsync(created, HttpStatusCode.Created, "create the bench mailbox", ct);
        Console.WriteLine($"[bench] mailbox {address} created (id {account2.GetProperty("id").GetInt64()}, quota {quotaMb} MB)");
        return password;
    }

    public async Task<JsonElement> GetJsonAsync(string path, string token, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Get, path, token);
        using var response = await _http.SendAsync(request, ct);
        return await ReadJsonAsync(response, HttpStatusCode.OK, "GET " + path, ct);
    }

    /// <summary>One timed call: the whole body is read (what a client pays), the status is returned, nothing parsed.</summary>
    public async Task<(HttpStatusCode Status, long Bytes)> GetAsync(string path, string token, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Get, path, token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return (response.StatusCode, bytes.LongLength);
    }

    public static HttpRequestMessage Authorized(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, Rel(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static Uri Rel(string path) => new(path, UriKind.Relative);

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected, string what, CancellationToken ct)
    {
        await EnsureAsync(response, expected, what, ct);
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string what, CancellationToken ct)
    {
        if (response.StatusCode != expected)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"{what}: HTTP {(int)response.StatusCode} (expected {(int)expected}): {text}");
        }
    }

    /// <summary>24 characters from the stack's password alphabet (letters and digits).</summary>
    private static string NewPassword()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        return RandomNumberGenerator.GetString(alphabet, 24);
    }

    public void Dispose() => _http.Dispose();
}

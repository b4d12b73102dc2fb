using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Fayvad.PushBench;

/// <summary>The API's JSON endpoints the benchmark needs, called as the Django client would (bearer token, snake_case).</summary>
internal sealed class ApiClient(HttpClient http)
{
    public const string Root = "/fayvad_api";

    public async Task<string> LoginAsync(string username, string password, CancellationToken ct)
    {
        var body = await SendAsync(HttpMethod.Post, "/auth/login/", null, new { username, password }, HttpStatusCode.OK, ct);
        return body.GetProperty("token").GetString() ?? throw new BenchException($"login {username}: no token in the answer");
    }

    public Task<JsonElement> MeAsync(string token, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "/auth/me/", token, null, HttpStatusCode.OK, ct);

    public Task<JsonElement> CreateEmailAccountAsync(string adminToken, string address, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/org/email-accounts/", adminToken,
            new { address, password, display_name = "Push bench " + address.Split('@')[0] }, HttpStatusCode.Created, ct);

    /// <summary>An organization, its domain and an organization administrator, as the superadmin (the shapes of TestApi.CreateOrgAsync).</summary>
    public async Task<(long OrgId, string Domain)> CreateOrganizationAsync(
        string superToken, string slug, string adminAddressLocal, string adminPassword, int maxAccounts, CancellationToken ct)
    {
        var org = await SendAsync(HttpMethod.Post, "/admin/organizations/", superToken,
            new { name = "Push bench " + slug, slug, max_accounts = maxAccounts, total_quota_mb = 0 }, HttpStatusCode.Created, ct);
        var orgId = org.GetProperty("id").GetInt64();
        var domain = slug + ".test";
        await SendAsync(HttpMethod.Post, "/domains/", superToken,
            new { name = domain, organization_id = orgId, default_mailbox_quota_mb = 20, total_quota_mb = 0 }, HttpStatusCode.Created, ct);
        await SendAsync(HttpMethod.Post, "/organization-admins/", superToken,
            new { organization_id = orgId, email = adminAddressLocal + "@" + domain, password = adminPassword, first_name = "Bench", last_name = "Admin" },
            HttpStatusCode.Created, ct);
        return (orgId, domain);
    }

    /// <summary>A throw-away password in the API's rules (8..72 characters), never printed or stored.</summary>
    public static string NewPassword() => "pb-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('/', '_').Replace('+', '-');

    public static string NewRunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? json, HttpStatusCode expected, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Root + path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var response = await http.SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (response.StatusCode != expected)
        {
            throw new BenchException($"{method} {Root}{path}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

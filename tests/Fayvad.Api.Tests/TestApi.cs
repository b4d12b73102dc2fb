using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Fayvad.Api.Tests.Contract;

namespace Fayvad.Api.Tests;

public sealed record TestOrg(long Id, string Slug, string Domain, long DomainId, string AdminUsername, string AdminPassword, long AdminUserId);

/// <summary>Drives the API the way the Django client does: JSON over HTTP with a bearer token.</summary>
public sealed class TestApi(ApiFactory factory)
{
    public const string Root = "/fayvad_api";
    public const string Password = "correct-horse-9";

    public HttpClient Anonymous()
    {
        var client = factory.CreateCheckedClient();
        client.DefaultRequestHeaders.Add(ApiFactory.ClientAddressHeader, RandomAddress());
        return client;
    }

    public async Task<(HttpClient Client, JsonElement Login)> LoginAsync(string username, string password)
    {
        var client = Anonymous();
        var response = await client.PostAsJsonAsync($"{Root}/auth/login/", new { username, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"login {username}: {(int)response.StatusCode} {body}");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        return (client, body);
    }

    public async Task<HttpClient> AsAsync(string username, string password = Password) => (await LoginAsync(username, password)).Client;

    public Task<HttpClient> SuperadminAsync() =>
        AsAsync(StackSettings.Get("DEMO_SUPERADMIN_USER"), StackSettings.Get("DEMO_SUPERADMIN_PASSWORD"));

    /// <summary>A fresh organization with one domain and an organization administrator (no mailbox).</summary>
    public async Task<TestOrg> CreateOrgAsync(int maxAccounts = 0, int totalQuotaMb = 0, int domainTotalQuotaMb = 0, int defaultQuotaMb = 100)
    {
        var superadmin = await SuperadminAsync();
        var slug = ApiFactory.RunPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var org = await ReadAsync(await superadmin.PostAsJsonAsync($"{Root}/admin/organizations/",
            new { name = "Org " + slug, slug, max_accounts = maxAccounts, total_quota_mb = totalQuotaMb }), HttpStatusCode.Created);
        var orgId = org.GetProperty("id").GetInt64();
        var domainName = slug + ".test";
        var domain = await ReadAsync(await superadmin.PostAsJsonAsync($"{Root}/domains/",
            new { name = domainName, organization_id = orgId, default_mailbox_quota_mb = defaultQuotaMb, total_quota_mb = domainTotalQuotaMb }),
            HttpStatusCode.Created);
        var adminUsername = "admin@" + domainName;
        var admin = await ReadAsync(await superadmin.PostAsJsonAsync($"{Root}/organization-admins/",
            new { organization_id = orgId, email = adminUsername, password = Password, first_name = "Org", last_name = "Admin" }),
            HttpStatusCode.Created);
        return new TestOrg(orgId, slug, domainName, domain.GetProperty("id").GetInt64(), adminUsername, Password,
            admin.GetProperty("id").GetInt64());
    }

    public async Task<JsonElement> CreateAccountAsync(HttpClient admin, string address, int? quotaMb = null)
    {
        var response = await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { address, password = Password, display_name = "Test " + address, quota_mb = quotaMb });
        return await ReadAsync(response, HttpStatusCode.Created);
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the status and the contract's error body: {"error": "..."} mentioning <paramref name="mentions"/>.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode expected, string? mentions = null)
    {
        var body = await ReadAsync(response, expected);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        var error = body.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error));
        if (mentions is not null)
        {
            Assert.Contains(mentions, error, StringComparison.OrdinalIgnoreCase);
        }

        return body;
    }

    private static string RandomAddress()
    {
        var bytes = RandomNumberGenerator.GetBytes(3);
        return $"198.18.{bytes[0]}.{Math.Max((byte)1, bytes[1])}";
    }
}

/// <summary>Shared by every API test class.</summary>
public abstract class ApiTest(ApiFactory factory)
{
    protected ApiFactory Factory { get; } = factory;
    protected TestApi Api { get; } = new(factory);
    protected const string Root = TestApi.Root;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;
}

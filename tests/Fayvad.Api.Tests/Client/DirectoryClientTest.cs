using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Drives the directory routes the way the Django client (fayvad_mail, dc33da3) does: its exact paths with the trailing
/// slash, <c>Authorization: Token &lt;key&gt;</c>, <c>User-Agent: FayvadMail/1.0</c>, its JSON bodies, and assertions on
/// the fields its pages read with their JSON types and units.
/// </summary>
public abstract class DirectoryClientTest(ApiFactory factory) : ApiTest(factory)
{
    /// <summary>Logs in as the client's login view does and keeps the token as the client class sends it.</summary>
    protected async Task<HttpClient> TokenClientAsync(string username, string password = TestApi.Password)
    {
        var (client, login) = await Api.LoginAsync(username, password);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", login.GetProperty("token").GetString());
        client.DefaultRequestHeaders.UserAgent.ParseAdd("FayvadMail/1.0");
        return client;
    }

    protected Task<HttpClient> SuperadminTokenAsync() =>
        TokenClientAsync(StackSettings.Get("DEMO_SUPERADMIN_USER"), StackSettings.Get("DEMO_SUPERADMIN_PASSWORD"));

    /// <summary>A name unique to this run, whose organization the run's cleanup removes.</summary>
    protected static string Unique(string what) => ApiFactory.RunPrefix + what + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    protected static async Task<JsonElement> OkAsync(Task<HttpResponseMessage> call) => await TestApi.ReadAsync(await call, HttpStatusCode.OK);

    protected static async Task<JsonElement> CreatedAsync(Task<HttpResponseMessage> call) => await TestApi.ReadAsync(await call, HttpStatusCode.Created);

    protected static async Task<JsonElement> ErrorAsync(Task<HttpResponseMessage> call, HttpStatusCode status, string? mentions = null) =>
        await TestApi.AssertErrorAsync(await call, status, mentions);

    protected static long IntOf(JsonElement item, string field)
    {
        var value = item.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _), $"{field} must be a JSON integer: {value.GetRawText()}");
        return value.GetInt64();
    }

    protected static double NumberOf(JsonElement item, string field)
    {
        var value = item.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.Number, $"{field} must be a JSON number: {value.GetRawText()}");
        return value.GetDouble();
    }

    protected static bool BoolOf(JsonElement item, string field)
    {
        var value = item.GetProperty(field);
        Assert.True(value.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{field} must be a JSON boolean: {value.GetRawText()}");
        return value.GetBoolean();
    }

    protected static string TextOf(JsonElement item, string field)
    {
        var value = item.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.String, $"{field} must be a JSON string: {value.GetRawText()}");
        return value.GetString()!;
    }

    protected static DateTimeOffset Timestamp(JsonElement item, string field) =>
        DateTimeOffset.Parse(TextOf(item, field), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>The client's direct callers need a bare JSON array.</summary>
    protected static JsonElement BareArray(JsonElement list)
    {
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        return list;
    }

    /// <summary>The element whose <c>id</c> equals the integer, as the client's detail pages pick it.</summary>
    protected static JsonElement? ById(JsonElement array, long id) =>
        BareArray(array).EnumerateArray().Where(e => e.GetProperty("id").GetInt64() == id).Cast<JsonElement?>().SingleOrDefault();

    /// <summary>A mailbox in an organization of its own, made with our admin routes (the other helper owns the client's account form).</summary>
    protected async Task<(TestOrg Org, HttpClient Admin, long AccountId, long UserId, string Address)> MailboxAsync(string localPart, int? quotaMb = null)
    {
        var org = await Api.CreateOrgAsync();
        var admin = await TokenClientAsync(org.AdminUsername);
        var account = await Api.CreateAccountAsync(admin, localPart + "@" + org.Domain, quotaMb);
        return (org, admin, account.GetProperty("id").GetInt64(), account.GetProperty("user_id").GetInt64(), account.GetProperty("address").GetString()!);
    }

    protected static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, object body) => client.PostAsJsonAsync(Root + path, body, Ct);
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// Calls made as the Django client makes them: <c>Authorization: Token &lt;key&gt;</c>, its User-Agent, JSON bodies,
/// the exact paths with the trailing slash and no query string unless the client sends one.
/// </summary>
public static class DjangoCalls
{
    public static async Task<HttpClient> TokenClientAsync(this TestApi api, string username, string password = TestApi.Password)
    {
        var (client, login) = await api.LoginAsync(username, password);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", login.GetProperty("token").GetString());
        client.DefaultRequestHeaders.UserAgent.ParseAdd("FayvadMail/1.0");
        return client;
    }

    /// <summary>The bare-username superadmin the client's direct-call pages log in as (seeded by the stack).</summary>
    public static Task<HttpClient> ServiceAccountAsync(this TestApi api) =>
        api.TokenClientAsync(StackSettings.Get("DEMO_SERVICE_USER"), StackSettings.Get("DEMO_SERVICE_PASSWORD"));

    /// <summary>What a direct caller accepts: exactly 200 and a bare JSON array.</summary>
    public static async Task<JsonElement> BareArrayAsync(HttpResponseMessage response)
    {
        var body = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        return body;
    }

    public static long WholeNumber(this JsonElement e, string field)
    {
        var value = e.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _), $"{field} is a JSON integer: {value}");
        return value.GetInt64();
    }

    public static double Number(this JsonElement e, string field)
    {
        var value = e.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.Number, $"{field} is a JSON number: {value}");
        return value.GetDouble();
    }

    public static string Text(this JsonElement e, string field)
    {
        var value = e.GetProperty(field);
        Assert.True(value.ValueKind == JsonValueKind.String, $"{field} is a JSON string: {value}");
        return value.GetString()!;
    }

    public static bool Flag(this JsonElement e, string field)
    {
        var value = e.GetProperty(field);
        Assert.True(value.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{field} is a JSON boolean: {value}");
        return value.GetBoolean();
    }

    /// <summary>An ISO-8601 instant in a string.</summary>
    public static DateTimeOffset Instant(this JsonElement e, string field) =>
        DateTimeOffset.Parse(e.Text(field), System.Globalization.CultureInfo.InvariantCulture);

    public static JsonElement ById(this JsonElement array, long id) =>
        array.EnumerateArray().Single(item => item.GetProperty("id").GetInt64() == id);
}

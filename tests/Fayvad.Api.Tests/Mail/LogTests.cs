using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Client;

namespace Fayvad.Api.Tests.Mail;

public sealed class LogTests(ApiFactory factory) : MailTest(factory)
{
    /// <summary>
    /// The API as deployed (its own process, JSON console logs), at Information for every category, EF Core and ASP.NET
    /// Core included: each line is JSON, requests carry their request id and the caller's user id, and no password,
    /// token or message body is written.
    /// </summary>
    [Fact]
    public async Task Logs_are_json_with_request_and_user_ids_and_never_a_password_token_or_body()
    {
        var box = await MailboxAsync();
        var password = "Log-Secret-" + Guid.NewGuid().ToString("N")[..12];
        var admin = await Api.AsAsync(box.Org.AdminUsername);
        var address = "logged@" + box.Org.Domain;
        var account = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { address, password, display_name = "Logged" }, Ct), HttpStatusCode.Created);
        await using var node = await HostProcess.StartAsync("logs-" + Guid.NewGuid().ToString("N")[..6], Ct, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Information",
        });

        var client = node.Client();
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/", new { username = address, password }, Ct), HttpStatusCode.OK);
        var token = login.Text("token");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        var body = "Body-" + Guid.NewGuid().ToString("N");
        using var send = new HttpRequestMessage(HttpMethod.Post, $"{Root}/email/send/")
        {
            Content = JsonContent.Create(new { to_emails = new[] { box.Address }, subject = "Logged send", body = $"<p>{body}</p>" }),
        };
        send.Headers.Add("Idempotency-Key", "log-" + body);
        await TestApi.ReadAsync(await client.SendAsync(send, Ct), HttpStatusCode.OK);
        await TestApi.AssertErrorAsync(await client.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = password + "x", new_password = password + "-new" }, Ct), HttpStatusCode.BadRequest);
        await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/?folder=Sent&include_body=true", Ct), HttpStatusCode.OK);
        await Task.Delay(500, Ct); // the console logger writes from its own queue

        var lines = node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var entries = lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList(); // every line is one JSON object
        var userId = account.GetProperty("user_id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sendLines = entries.Where(e => e.GetProperty("Message").GetString()!.Contains("/fayvad_api/email/send", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(sendLines);
        Assert.Contains(entries, e => Scopes(e).Any(s => s.TryGetProperty("UserId", out var id) && id.GetString() == userId)
            && Scopes(e).Any(s => s.TryGetProperty("RequestId", out _)));

        var output = node.Output;
        Assert.DoesNotContain(password, output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(body, output, StringComparison.Ordinal);
        Assert.DoesNotContain(StackSettings.Get("IMAP_MASTER_PASSWORD"), output, StringComparison.Ordinal);
    }

    private static IEnumerable<JsonElement> Scopes(JsonElement entry) =>
        entry.TryGetProperty("Scopes", out var scopes) ? scopes.EnumerateArray() : [];
}

using System.Globalization;
using Fayvad.Api.Tests.Client;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// Messages built to break a reader's IMAP parser (issue #19), as tests/corpus/crafted.py generates them: each must cost
/// only itself. The server's ENVELOPE of a 200 KB Subject is one literal that MailKit refuses and that ends the
/// connection; the page still lists every message beside them, the culprit from a plan that cannot fail on it
/// (<c>parse_error: true</c>), and the message takes actions. That each opens, shows what a reader must see, downloads
/// byte-exact and agrees with Python is <see cref="CorpusTests"/>' part (the crafted cases are in the corpus).
/// </summary>
public sealed partial class HostileMessageTests(ApiFactory factory) : MailTest(factory)
{
    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text.ReplaceLineEndings("\r\n"));

    private static string Head(string to, string subject, string date) =>
        $"From: sender@example.com\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{Guid.NewGuid():N}@example.com>\r\n";

    private static bool Degraded(JsonElement message) => message.TryGetProperty("parse_error", out var flag) && flag.GetBoolean();

    private static string Id(JsonElement message) => Uri.EscapeDataString(message.GetProperty("id").GetString()!);

    [Fact]
    public async Task Each_crafted_message_costs_only_itself_in_the_list_beside_ordinary_mail_and_in_the_actions()
    {
        var box = await MailboxAsync();
        var crafted = CorpusTests.Crafted();
        var messages = new List<byte[]>();
        foreach (var (name, message) in crafted)
        {
            messages.Add(Bytes(Head(box.Address, $"before {name}", "Mon, 07 Dec 2026 09:00:00 +0000") + "\r\nplain\r\n"));
            messages.Add(message);
        }

        messages.Add(Bytes(Head(box.Address, "last plain", "Mon, 07 Dec 2026 11:00:00 +0000") + "\r\nplain\r\n"));
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            foreach (var message in messages)
            {
                await imap.AppendAsync("INBOX", [message], Ct);
            }
        }

        foreach (var query in new[] { "limit=50", "limit=50&include_body=false", "limit=50&sort=date", "include_body=false&limit=3&page=2" })
        {
            var list = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&{query}", Ct), HttpStatusCode.OK);
            var rows = list.GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal(messages.Count, list.GetProperty("total").GetInt32());
            Assert.Equal(query.Contains("limit=3", StringComparison.Ordinal) ? 3 : messages.Count, rows.Count);
            // Every ordinary message is listed whole, whatever its neighbours hold.
            Assert.All(rows.Where(r => MailKitTestKit.Subject(r).StartsWith("before ", StringComparison.Ordinal) || MailKitTestKit.Subject(r) == "last plain"),
                r => Assert.False(Degraded(r)));
        }

        var all = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        Assert.Equal(messages.Count, all.Count);
        var longSubject = all.Single(m => MailKitTestKit.Subject(m).StartsWith("word000 word001", StringComparison.Ordinal));
        // Cut for the page, and said so, in the list too.
        Assert.True(longSubject.GetProperty("headers_truncated").GetBoolean());
        Assert.False(all.Single(m => MailKitTestKit.Subject(m) == "last plain").TryGetProperty("headers_truncated", out _));

        foreach (var (name, bytes) in crafted)
        {
            var row = all.Single(m => m.GetProperty("size_bytes").GetInt64() == bytes.Length);
            var read = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "mark_read", ids = new[] { row.GetProperty("id").GetString() } }, Ct), HttpStatusCode.OK);
            Assert.True(1 == read.GetProperty("processed").GetInt32(), name);
        }

        var reread = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(reread.Where(r => crafted.Any(c => c.Raw.Length == r.GetProperty("size_bytes").GetInt64())), r => Assert.True(r.GetProperty("is_read").GetBoolean()));

        // Moved and deleted like any other message.
        var moved = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "move", ids = new[] { longSubject.GetProperty("id").GetString() }, folder = "Junk" }, Ct), HttpStatusCode.OK);
        Assert.Equal(1, moved.GetProperty("processed").GetInt32());
        var archived = await MailKitTestKit.ListAsync(box.Client, "Junk", Ct);
        Assert.Single(archived);
        Assert.StartsWith("word000", MailKitTestKit.Subject(archived[0]), StringComparison.Ordinal);
        var deleted = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "delete", ids = new[] { archived[0].GetProperty("id").GetString() } }, Ct), HttpStatusCode.OK);
        Assert.Equal(1, deleted.GetProperty("processed").GetInt32());
        Assert.Empty(await MailKitTestKit.ListAsync(box.Client, "Junk", Ct));
    }

    /// <summary>
    /// Finding a culprit costs one connection, once: the next listing and the detail ask for it with the plan that worked
    /// (a process of its own, so no other test moves the counter).
    /// </summary>
    [Fact]
    public async Task A_culprit_is_found_once_and_later_requests_ask_for_it_with_the_plan_that_works()
    {
        var box = await MailboxAsync();
        var subject200K = CorpusTests.Crafted().Single(c => c.Name == "subject-200k").Raw;
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [Bytes(Head(box.Address, "first", "Mon, 07 Dec 2026 09:00:00 +0000") + "\r\nplain\r\n"), subject200K,
                Bytes(Head(box.Address, "third", "Mon, 07 Dec 2026 09:00:00 +0000") + "\r\nplain\r\n")], Ct);
        }

        await using var node = await HostProcess.StartAsync("faults-" + Guid.NewGuid().ToString("N")[..6], Ct);
        var client = node.Client();
        var login = await TestApi.ReadAsync(await client.PostAsJsonAsync($"{Root}/auth/login/", new { username = box.Address, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Text("token"));
        async Task<double> FaultsAsync()
        {
            using var http = node.Client();
            var text = await (await http.GetAsync($"{Root}/metrics", Ct)).Content.ReadAsStringAsync(Ct);
            return Sample().Matches(text).Where(m => m.Groups["name"].Value == "fayvad_mail_imap_message_faults_total")
                .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        }

        var first = await MailKitTestKit.ListAsync(client, "INBOX", Ct, "&include_body=false");
        Assert.Equal(["third", "first"], first.Where(m => !Degraded(m)).Select(MailKitTestKit.Subject));
        var culprit = Assert.Single(first, Degraded);
        Assert.StartsWith("word000 word001", MailKitTestKit.Subject(culprit), StringComparison.Ordinal);
        // The exporter may answer from its cache of the last 300 ms: asked until the counter shows the one fault.
        var faults = await FaultsAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(5); faults < 1 && DateTime.UtcNow < deadline; faults = await FaultsAsync())
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(1, faults);
        Assert.Equal(3, (await MailKitTestKit.ListAsync(client, "INBOX", Ct)).Count);
        Assert.Equal(3, (await MailKitTestKit.ListAsync(client, "INBOX", Ct, "&sort=date")).Count);
        await TestApi.ReadAsync(await client.GetAsync($"{Root}/email/messages/{Id(culprit)}/", Ct), HttpStatusCode.OK);
        await Task.Delay(400, Ct);
        Assert.Equal(1, await FaultsAsync());
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}

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
/// Messages built to break a reader's IMAP parser (issue #19): each must cost only itself. The server's ENVELOPE of a
/// 200 KB Subject is one literal that MailKit refuses and that ends the connection; the page still lists every message,
/// the culprit from a plan that cannot fail on it (<c>parse_error: true</c>), and the message opens, downloads byte-exact
/// and takes actions.
/// </summary>
public sealed partial class HostileMessageTests(ApiFactory factory) : MailTest(factory)
{
    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text.ReplaceLineEndings("\r\n"));

    /// <summary>Words folded at 76 columns after the header's name, as a long real header is.</summary>
    private static string Folded(string name, int bytes)
    {
        var text = new StringBuilder(name).Append(':');
        var line = text.Length;
        for (var i = 0; text.Length < bytes; i++)
        {
            var word = $"word{i % 1000:D3}";
            if (line + word.Length + 1 > 76)
            {
                text.Append("\r\n");
                line = 0;
            }

            text.Append(' ').Append(word);
            line += word.Length + 1;
        }

        return text.ToString();
    }

    private static string Head(string to, string subject, string date) =>
        $"From: sender@example.com\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{Guid.NewGuid():N}@example.com>\r\n";

    /// <summary>The crafted cases: name, then the message.</summary>
    internal static IReadOnlyList<(string Name, byte[] Message)> Crafted(string to)
    {
        const string date = "Mon, 07 Dec 2026 10:00:00 +0000";
        var cases = new List<(string, byte[])>
        {
            ("subject-200k", Bytes(Folded("Subject", 200 * 1024) + $"\r\nFrom: a@example.com\r\nTo: {to}\r\nDate: {date}\r\n\r\nlong subject\r\n")),
            ("from-name-200k", Bytes($"From: \"{new string('N', 200 * 1024)}\" <named@example.com>\r\nTo: {to}\r\nSubject: from-name-200k\r\nDate: {date}\r\n\r\nlong name\r\n")),
            ("in-reply-to-1m-line", Bytes($"From: a@example.com\r\nTo: {to}\r\nSubject: in-reply-to-1m-line\r\nDate: {date}\r\nIn-Reply-To: <{new string('r', 1024 * 1024)}@example.com>\r\n\r\none long line\r\n")),
            ("to-5000", Bytes($"From: a@example.com\r\nTo:" + string.Join(",\r\n", Enumerable.Range(0, 5000).Select(i => $" r{i:D4}@example.com")) +
                $"\r\nSubject: to-5000\r\nDate: {date}\r\n\r\nmany recipients\r\n")),
        };

        var nested = new StringBuilder(Head(to, "nested-100", date)).Append("MIME-Version: 1.0\r\n");
        for (var depth = 0; depth < 100; depth++)
        {
            nested.Append($"Content-Type: multipart/mixed; boundary=\"b{depth}\"\r\n\r\n--b{depth}\r\n");
        }

        nested.Append("Content-Type: text/plain\r\n\r\ndeepest text\r\n");
        for (var depth = 99; depth >= 0; depth--)
        {
            nested.Append($"--b{depth}--\r\n");
        }

        cases.Add(("nested-100", Encoding.ASCII.GetBytes(nested.ToString())));

        var parts = new StringBuilder(Head(to, "parts-5000", date)).Append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
        parts.Append("--p\r\nContent-Type: text/plain\r\n\r\nfirst of many parts\r\n");
        for (var i = 1; i < 5000; i++)
        {
            parts.Append($"--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{i}.bin\"\r\n\r\nx{i}\r\n");
        }

        cases.Add(("parts-5000", Encoding.ASCII.GetBytes(parts.Append("--p--\r\n").ToString())));

        // An 8-bit parameter is a literal in BODYSTRUCTURE too: neither ENVELOPE nor BODYSTRUCTURE can be asked for.
        foreach (var (name, filename) in new[] { ("filename-8bit-8k", new string('é', 4000)), ("filename-ascii-8k", new string('f', 8000)) })
        {
            cases.Add((name, Encoding.UTF8.GetBytes(Head(to, name, date) + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n" +
                $"--p\r\nContent-Type: text/plain\r\n\r\nhello {name}\r\n--p\r\nContent-Type: application/octet-stream\r\n" +
                $"Content-Disposition: attachment; filename=\"{filename}.txt\"\r\n\r\nxx\r\n--p--\r\n")));
        }
        return cases;
    }

    private static bool Degraded(JsonElement message) => message.TryGetProperty("parse_error", out var flag) && flag.GetBoolean();

    private static string Id(JsonElement message) => Uri.EscapeDataString(message.GetProperty("id").GetString()!);

    [Fact]
    public async Task Each_crafted_message_costs_only_itself_in_the_list_the_detail_the_source_and_the_actions()
    {
        var box = await MailboxAsync();
        var crafted = Crafted(box.Address);
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
        var bySubjectStart = (string start) => all.Single(m => MailKitTestKit.Subject(m).StartsWith(start, StringComparison.Ordinal));
        // What the reader sees of each: its subject (the start of a long one), its sender, its text.
        var longSubject = all.Single(m => MailKitTestKit.Subject(m).StartsWith("word000 word001", StringComparison.Ordinal));
        // Cut for the page, and said so; the source keeps it whole.
        Assert.InRange(MailKitTestKit.Subject(longSubject).Length, 1000, 2001);
        Assert.True(longSubject.GetProperty("headers_truncated").GetBoolean());
        Assert.False(bySubjectStart("last plain").TryGetProperty("headers_truncated", out _));
        Assert.Equal("a@example.com", longSubject.GetProperty("sender").GetString());
        Assert.Equal("named@example.com", bySubjectStart("from-name-200k").GetProperty("sender").GetString());
        Assert.Equal(5000, bySubjectStart("to-5000").GetProperty("to_recipients").GetArrayLength());
        Assert.Contains("deepest text", bySubjectStart("nested-100").GetProperty("body_text").GetString(), StringComparison.Ordinal);
        Assert.Contains("first of many parts", bySubjectStart("parts-5000").GetProperty("body_text").GetString(), StringComparison.Ordinal);

        for (var i = 0; i < crafted.Count; i++)
        {
            var (name, bytes) = crafted[i];
            var row = all.Single(m => m.GetProperty("size_bytes").GetInt64() == bytes.Length);
            var id = Id(row);
            var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{id}/", Ct), HttpStatusCode.OK);
            Assert.Equal(row.GetProperty("id").GetString(), detail.GetProperty("id").GetString());
            Assert.Equal(MailKitTestKit.Subject(row), MailKitTestKit.Subject(detail));
            if (name.StartsWith("filename-", StringComparison.Ordinal))
            {
                Assert.Contains($"hello {name}", detail.GetProperty("body_text").GetString(), StringComparison.Ordinal);
            }

            var raw = await box.Client.GetAsync($"{Root}/email/messages/{id}/raw/", Ct);
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            var source = await raw.Content.ReadAsByteArrayAsync(Ct);
            Assert.True(bytes.SequenceEqual(source), $"{name}: the source differs from what was stored");

            var read = await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action = "mark_read", ids = new[] { row.GetProperty("id").GetString() } }, Ct), HttpStatusCode.OK);
            Assert.Equal(1, read.GetProperty("processed").GetInt32());
        }

        var reread = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct, "&include_body=false");
        Assert.All(reread.Where(r => crafted.Any(c => c.Message.Length == r.GetProperty("size_bytes").GetInt64())), r => Assert.True(r.GetProperty("is_read").GetBoolean()));

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
        var subject200K = Crafted(box.Address)[0].Message;
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

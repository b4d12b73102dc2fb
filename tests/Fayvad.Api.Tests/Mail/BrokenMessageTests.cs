using Fayvad.Api.Tests.MailServer;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// A message Dovecot itself cannot read makes the page's FETCH fail (the real server's answer, no fake): the page
/// still lists every other message whole and that one with its UID and flags, marked <c>parse_error</c> (docs/adr/0027).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BrokenMessageTests(ApiFactory factory) : MailTest(factory)
{
    private static bool Degraded(JsonElement message) => message.TryGetProperty("parse_error", out var flag) && flag.GetBoolean();

    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text.ReplaceLineEndings("\r\n"));

    /// <summary>The maildir file holding <paramref name="marker"/> in the mailbox's INBOX.</summary>
    private static async Task<string> MessageFileAsync(string address, string marker)
    {
        var maildir = Path.Combine(await MailProbe.HomeAsync(address), "Maildir");
        return new[] { "cur", "new" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.EnumerateFiles)
            .Single(f => File.ReadAllText(f, Encoding.Latin1).Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_the_server_cannot_read_costs_only_itself_in_the_list_and_the_detail()
    {
        var box = await MailboxAsync();
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            await imap.AppendAsync("INBOX", [.. Enumerable.Range(1, 5).Select(i =>
                Bytes($"From: sender{i}@example.com\nTo: {box.Address}\nSubject: message {i}\nDate: Sun, 29 Nov 2026 10:0{i}:00 +0000\n\nbody {i}\n"))], Ct);
        }

        // Dovecot reads files as vmail; a file it may not open fails that message's FETCH with NO [SERVERBUG].
        var file = await MessageFileAsync(box.Address, "Subject: message 3");
        var mode = File.GetUnixFileMode(file);
        File.SetUnixFileMode(file, UnixFileMode.None);
        try
        {
            foreach (var query in new[] { "", "&include_body=false" })
            {
                var list = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/?folder=INBOX&limit=50{query}", Ct), HttpStatusCode.OK);
                var messages = list.GetProperty("messages").EnumerateArray().ToList();
                Assert.Equal(5, messages.Count);
                Assert.Equal(5, list.GetProperty("total").GetInt32());
                var whole = messages.Where(m => !Degraded(m)).ToList();
                Assert.Equal(["message 5", "message 4", "message 2", "message 1"], whole.Select(MailKitTestKit.Subject));
                Assert.All(whole, m => Assert.EndsWith("@example.com", m.GetProperty("sender").GetString()));
                if (query == "")
                {
                    Assert.All(whole, m => Assert.StartsWith("body ", m.GetProperty("body_text").GetString()));
                }

                // The unreadable one keeps its place (newest first), its id and its flags.
                var broken = messages[2];
                Assert.True(Degraded(broken));
                Assert.False(broken.GetProperty("is_read").GetBoolean());
                Assert.False(string.IsNullOrEmpty(broken.GetProperty("id").GetString()));
            }

            var brokenId = Uri.EscapeDataString((await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct))[2].GetProperty("id").GetString()!);
            var detail = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{brokenId}/", Ct), HttpStatusCode.OK);
            Assert.True(Degraded(detail));
            Assert.Equal(JsonValueKind.Array, detail.GetProperty("attachments").ValueKind);
        }
        finally
        {
            File.SetUnixFileMode(file, mode);
        }

        // Readable again: the next listing gives it whole (a degraded row is never cached).
        var healed = await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct);
        Assert.Equal(["message 5", "message 4", "message 3", "message 2", "message 1"], healed.Select(MailKitTestKit.Subject));
        Assert.All(healed, m => Assert.False(Degraded(m)));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Fayvad.Api.Tests.Mail;

/// <summary>Puts real mail into real mailboxes: SMTP into Postfix's inbound port, or APPEND through Dovecot.</summary>
public static class MailKitTestKit
{
    public static int ImapPort => int.Parse(StackSettings.Get("IMAP_PORT"), System.Globalization.CultureInfo.InvariantCulture);
    public static int SmtpPort => int.Parse(StackSettings.Get("SMTP_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    public static MimeMessage Message(string from, string to, string subject, string text, string? html = null, params MimePart[] attachments)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        var body = new BodyBuilder { TextBody = text, HtmlBody = html };
        foreach (var attachment in attachments)
        {
            body.Attachments.Add(attachment);
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>Delivered the way outside mail arrives: Postfix inbound, then LMTP into Dovecot.</summary>
    public static async Task DeliverAsync(MimeMessage message, CancellationToken ct)
    {
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", SmtpPort, SecureSocketOptions.None, ct);
        // Envelope to the local To recipients only: Cc'd outside addresses would be refused as relaying.
        await smtp.SendAsync(message, message.From.Mailboxes.First(), message.To.Mailboxes, ct);
        await smtp.DisconnectAsync(true, ct);
    }

    /// <summary>Fast bulk seeding (MULTIAPPEND) as the mailbox owner through the master user.</summary>
    public static async Task AppendAsync(string mailbox, string folder, IReadOnlyList<MimeMessage> messages, CancellationToken ct, MessageFlags flags = MessageFlags.None)
    {
        using var imap = await OpenAsync(mailbox, ct);
        var target = folder == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(folder, ct);
        foreach (var chunk in messages.Chunk(100))
        {
            await target.AppendAsync(chunk.Select(m => (IAppendRequest)new AppendRequest(m, flags)).ToList(), ct);
        }

        await imap.DisconnectAsync(true, ct);
    }

    /// <summary>A raw IMAP session of the mailbox owner: the "other mail client" (phone, Thunderbird) of the tests.</summary>
    public static async Task<ImapClient> OpenAsync(string mailbox, CancellationToken ct)
    {
        var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", ImapPort, SecureSocketOptions.None, ct);
        await imap.AuthenticateAsync($"{mailbox}*{StackSettings.Get("IMAP_MASTER_USER")}", StackSettings.Get("IMAP_MASTER_PASSWORD"), ct);
        return imap;
    }

    /// <summary>Polls the API's folder listing until a message matching <paramref name="match"/> shows up.</summary>
    public static async Task<JsonElement> WaitForMessageAsync(HttpClient client, string folder, Func<JsonElement, bool> match, CancellationToken ct, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var response = await client.GetAsync($"/fayvad_api/email/messages/?folder={Uri.EscapeDataString(folder)}&limit=200&include_body=false", ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var list = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                var found = list.GetProperty("messages").EnumerateArray().Where(match).ToList();
                if (found.Count > 0)
                {
                    return found[0];
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no matching message in {folder} after {seconds} s");
            await Task.Delay(100, ct);
        }
    }

    public static async Task<List<JsonElement>> ListAsync(HttpClient client, string folder, CancellationToken ct, string extra = "")
    {
        var list = await TestApi.ReadAsync(await client.GetAsync($"/fayvad_api/email/messages/?folder={Uri.EscapeDataString(folder)}&limit=200{extra}", ct), HttpStatusCode.OK);
        return list.GetProperty("messages").EnumerateArray().ToList();
    }

    public static string Subject(JsonElement message) => message.GetProperty("subject").GetString()!;
}

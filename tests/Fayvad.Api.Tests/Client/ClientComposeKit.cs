using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace Fayvad.Api.Tests.Client;

/// <summary>One message as another mail client (Thunderbird, a phone) sees it over IMAP.</summary>
public sealed record ImapMessage(UniqueId Uid, MessageFlags Flags, MimeMessage Message);

/// <summary>
/// Compose, drafts and uploads driven as the Django client drives them: paths with the trailing slash, the
/// <c>Token</c> scheme, its User-Agent, JSON bodies; what arrives is read back over IMAP with MailKit.
/// </summary>
public abstract class ClientComposeTest(ApiFactory factory) : MailTest(factory)
{
    /// <summary>A mailbox whose client sends <c>Authorization: Token &lt;key&gt;</c>, as <c>ModoboaAPIClient</c> does.</summary>
    protected async Task<Mailbox> ClientMailboxAsync(string local, TestOrg? org = null)
    {
        var box = await MailboxAsync(local, org);
        var token = box.Client.DefaultRequestHeaders.Authorization!.Parameter;
        box.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        box.Client.DefaultRequestHeaders.UserAgent.ParseAdd("FayvadMail/1.0");
        return box;
    }

    protected static async Task<JsonElement> UploadAsync(HttpClient client, byte[] content, string fileName, string contentType,
        string path = "email/attachments/upload/", HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "file", fileName);
        return await TestApi.ReadAsync(await client.PostAsync($"{Root}/{path}", form, Ct), expected);
    }

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The messages of a folder (by special-use role, or INBOX when null) that match, read over IMAP.</summary>
    protected static async Task<List<ImapMessage>> ImapMessagesAsync(string address, SpecialFolder? role, Func<MimeMessage, bool> match)
    {
        using var imap = await MailKitTestKit.OpenAsync(address, Ct);
        var folder = role is { } special ? imap.GetFolder(special)! : imap.Inbox;
        await folder.OpenAsync(FolderAccess.ReadOnly, Ct);
        var found = new List<ImapMessage>();
        if (folder.Count > 0)
        {
            foreach (var summary in await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags, Ct))
            {
                var message = await folder.GetMessageAsync(summary.UniqueId, Ct);
                if (match(message))
                {
                    found.Add(new ImapMessage(summary.UniqueId, summary.Flags ?? MessageFlags.None, message));
                }
            }
        }

        await imap.DisconnectAsync(true, Ct);
        return found;
    }

    /// <summary>Polls the folder over IMAP until a message with this subject arrives.</summary>
    protected static async Task<ImapMessage> WaitForImapAsync(string address, SpecialFolder? role, string subject, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var found = await ImapMessagesAsync(address, role, m => m.Subject == subject);
            if (found.Count > 0)
            {
                return found[0];
            }

            Assert.True(DateTime.UtcNow < deadline, $"no message '{subject}' in {role?.ToString() ?? "INBOX"} of {address} after {seconds} s");
            await Task.Delay(200, Ct);
        }
    }

    protected static string Lines(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n');
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Utils;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// Talks to the stack's real Dovecot and Postfix on loopback the way a mail client does (no TLS: loopback only),
/// with the ports and master user that `deploy/stack.sh up` wrote to .stack/stack.env.
/// </summary>
public static class MailProbe
{
    public const string Host = "127.0.0.1";

    /// <summary>An outside sender: the inbound listener accepts mail from anyone for hosted, active mailboxes.</summary>
    public const string OutsideSender = "someone@example.net";

    public static int ImapPort => Port("IMAP_PORT");
    public static int SmtpPort => Port("SMTP_PORT");
    public static int SubmissionPort => Port("SUBMISSION_PORT");
    public static int LmtpPort => Port("LMTP_PORT");

    /// <summary>"user@domain*fayvad_api": Dovecot's master-user login, how the API acts inside a mailbox.</summary>
    public static string MasterLogin(string address) => address + "*" + StackSettings.Get("IMAP_MASTER_USER");

    public static string MasterPassword => StackSettings.Get("IMAP_MASTER_PASSWORD");

    /// <summary>
    /// The mailbox's home on disk, as Dovecot's userdb gives it: the mail root and the mailbox's mail_home, set once at
    /// creation and not built from the address (docs/adr/0006).
    /// </summary>
    public static async Task<string> HomeAsync(string address) =>
        Path.Combine(StackSettings.Get("STACK_DIR"), "vmail",
            (string)(await ApiFactory.ScalarAsync("SELECT mail_home FROM directory.mail_accounts WHERE email = $1", address)
                ?? throw new InvalidOperationException($"no mailbox {address}")));

    /// <summary>Connects without TLS and logs in with the IMAP LOGIN command (no SASL).</summary>
    public static async Task<ImapClient> ImapAsync(string login, string password, CancellationToken ct)
    {
        var client = new ImapClient { Timeout = 15_000, LocalEndPoint = FreshLoopbackSource() };
        try
        {
            await client.ConnectAsync(Host, ImapPort, SecureSocketOptions.None, ct);
            client.AuthenticationMechanisms.Clear();
            await client.AuthenticateAsync(login, password, ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asserts that Dovecot refuses the login for the given reason, not as a temporary (backend) failure:
    /// "Authentication failed" for wrong or inactive credentials, "Authorization failed" when the master password is
    /// right but the user to act as is not an active account.
    /// </summary>
    public static async Task<AuthenticationException> ImapLoginIsRefusedAsync(string login, string password, CancellationToken ct,
        string because = "Authentication failed")
    {
        var refused = await Assert.ThrowsAsync<AuthenticationException>(async () =>
        {
            using var client = await ImapAsync(login, password, ct);
        });
        // Not "Temporary authentication failure", which would mean Dovecot could not read the Directory's view.
        Assert.Contains(because, refused.Message, StringComparison.Ordinal);
        return refused;
    }

    /// <summary>Inbound (port-25 style) delivery: no authentication, envelope given explicitly.</summary>
    public static async Task SendInboundAsync(MimeMessage message, string recipient, CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync(Host, SmtpPort, SecureSocketOptions.None, ct);
        try
        {
            await client.SendAsync(message, new MailboxAddress(null, OutsideSender), [new MailboxAddress(null, recipient)], ct);
        }
        finally
        {
            await QuitQuietlyAsync(client, ct);
        }
    }

    /// <summary>Submission (port-587 style): SMTP AUTH, then the given envelope.</summary>
    public static async Task SubmitAsync(string login, string password, MimeMessage message, string sender, string recipient, CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync(Host, SubmissionPort, SecureSocketOptions.None, ct);
        try
        {
            await client.AuthenticateAsync(login, password, ct);
            await client.SendAsync(message, new MailboxAddress(null, sender), [new MailboxAddress(null, recipient)], ct);
        }
        finally
        {
            await QuitQuietlyAsync(client, ct);
        }
    }

    /// <summary>
    /// Straight to Dovecot's LMTP (where Postfix hands mail over), bypassing Postfix: LHLO, MAIL FROM, RCPT TO and
    /// returns the RCPT reply line (MailKit has no LMTP client). Nothing is delivered: the session ends before DATA.
    /// </summary>
    public static async Task<string> LmtpRcptReplyAsync(string recipient, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Host, LmtpPort, ct);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };

        async Task<string> ReplyAsync()
        {
            string? line;
            do
            {
                line = await reader.ReadLineAsync(ct) ?? throw new IOException("LMTP connection closed");
            }
            while (line.Length > 3 && line[3] == '-');
            return line;
        }

        Assert.StartsWith("220", await ReplyAsync(), StringComparison.Ordinal);
        await writer.WriteLineAsync("LHLO mailserver-tests.fayvad.test");
        Assert.StartsWith("250", await ReplyAsync(), StringComparison.Ordinal);
        await writer.WriteLineAsync($"MAIL FROM:<{OutsideSender}>");
        Assert.StartsWith("250", await ReplyAsync(), StringComparison.Ordinal);
        await writer.WriteLineAsync($"RCPT TO:<{recipient}>");
        var reply = await ReplyAsync();
        await writer.WriteLineAsync("QUIT");
        return reply;
    }

    /// <summary>A message with a unique subject; <paramref name="fillerBytes"/> random bytes go in a base64 attachment (not full-text indexed).</summary>
    public static MimeMessage NewMessage(string from, string to, string subject, int fillerBytes = 0)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeUtils.GenerateMessageId("mailserver-tests.fayvad.test");
        var builder = new BodyBuilder { TextBody = "Sent by the Fayvad mail server acceptance tests.\r\n" };
        if (fillerBytes > 0)
        {
            builder.Attachments.Add("filler.bin", RandomNumberGenerator.GetBytes(fillerBytes), new ContentType("application", "octet-stream"));
        }

        message.Body = builder.ToMessageBody();
        return message;
    }

    public static string UniqueSubject(string what) => $"{what} {Guid.NewGuid():N}";

    /// <summary>Polls INBOX (NOOP, then envelopes) until a message with this subject is there.</summary>
    public static async Task<IMessageSummary> WaitForSubjectAsync(ImapClient client, string subject, CancellationToken ct)
    {
        var found = await Poll.UntilAsync($"a message '{subject}' in INBOX", TimeSpan.FromSeconds(10), async () =>
        {
            var inbox = client.Inbox;
            if (!inbox.IsOpen)
            {
                await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
            }

            await client.NoOpAsync(ct);
            if (inbox.Count == 0)
            {
                return null;
            }

            var summaries = await inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Size, ct);
            return summaries.FirstOrDefault(s => s.Envelope?.Subject == subject);
        }, summary => summary is not null, ct);
        return found!;
    }

    /// <summary>The RFC822.SIZE of every message in INBOX: Dovecot's virtual sizes, which is what the count quota adds up.</summary>
    public static async Task<IReadOnlyList<long>> InboxSizesAsync(ImapClient client, CancellationToken ct) =>
        (await InboxAsync(client, ct)).Select(m => m.Size).ToList();

    /// <summary>Every message in INBOX: its subject and RFC822.SIZE.</summary>
    public static async Task<IReadOnlyList<(string Subject, long Size)>> InboxAsync(ImapClient client, CancellationToken ct)
    {
        var inbox = client.Inbox;
        if (!inbox.IsOpen)
        {
            await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        }

        await client.NoOpAsync(ct);
        if (inbox.Count == 0)
        {
            return [];
        }

        var summaries = await inbox.FetchAsync(0, -1, MessageSummaryItems.Size | MessageSummaryItems.Envelope, ct);
        return summaries.Select(s => (s.Envelope?.Subject ?? "", (long)(s.Size ?? throw new InvalidOperationException("no RFC822.SIZE")))).ToList();
    }

    /// <summary>
    /// A source address of its own on loopback (127.0.0.0/8) for each IMAP connection. Dovecot's auth penalty is per
    /// client IP: after a failed login every later login from that IP, whoever's, waits 2, 4, 8 then 15 s (for
    /// ~30 s). The refused logins these tests make on purpose must not slow down their own next login, nor the
    /// logins of other tests or the API that all come from 127.0.0.1.
    /// </summary>
    private static IPEndPoint FreshLoopbackSource()
    {
        var bytes = RandomNumberGenerator.GetBytes(3);
        return new IPEndPoint(new IPAddress([127, (byte)(1 + (bytes[0] % 254)), bytes[1], (byte)(1 + (bytes[2] % 254))]), 0);
    }

    /// <summary>For failure messages: Dovecot's own quota figures and the row quota_clone keeps in directory.mailbox_usage.</summary>
    /// <summary>
    /// Waits until Postfix's queue holds nothing for <paramref name="recipients"/>: from then on no copy of what was
    /// accepted for them can still arrive (an alias or a forward is expanded into the queue before the original leaves
    /// it). This replaces "a second copy would have come by now" sleeps. Other tests' mail in the queue does not count.
    /// </summary>
    public static async Task SettledAsync(CancellationToken ct, params string[] recipients)
    {
        var wanted = recipients.ToHashSet(StringComparer.OrdinalIgnoreCase);
        await Poll.UntilAsync($"Postfix's queue holds no mail for {string.Join(", ", recipients)}", TimeSpan.FromSeconds(30), async () =>
        {
            var queued = await Fayvad.Api.Tests.Faults.StackProcesses.RunAsync("postqueue", "-c", StackSettings.Get("POSTFIX_CONFIG_DIR"), "-j");
            return queued.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
                .Count(entry => entry.GetProperty("recipients").EnumerateArray().Any(r => wanted.Contains(r.GetProperty("address").GetString()!)));
        }, waiting => waiting == 0, ct);
    }

    public static async Task<string> QuotaDiagnosticsAsync(string address)
    {
        var (_, quota) = await Doveadm.RunAsync("-c", StackSettings.Get("DOVECOT_CONF"), "quota", "get", "-u", address);
        var row = await ApiFactory.ScalarAsync(
            "SELECT format('bytes=%s messages=%s updated_at=%s', bytes, messages, updated_at) FROM directory.mailbox_usage WHERE email = $1", address);
        return $"doveadm quota get: {string.Join(" / ", quota.Trim().Split('\n').Select(l => l.Trim()))} | mailbox_usage: {row ?? "no row"} | now {DateTimeOffset.UtcNow:HH:mm:ss.fff}Z";
    }

    private static int Port(string name) => int.Parse(StackSettings.Get(name), CultureInfo.InvariantCulture);

    private static async Task QuitQuietlyAsync(SmtpClient client, CancellationToken ct)
    {
        if (client.IsConnected)
        {
            try
            {
                await client.DisconnectAsync(true, ct);
            }
            catch (IOException)
            {
                // The server may already have closed the connection after refusing something.
            }
            catch (ProtocolException)
            {
            }
        }
    }
}

/// <summary>Polls until a condition holds, for things the servers do asynchronously (queue delivery, usage written back).</summary>
public static class Poll
{
    /// <param name="explain">What else to report if the condition never holds (e.g. the mail server's own view).</param>
    public static async Task<T> UntilAsync<T>(string what, TimeSpan within, Func<Task<T>> read, Func<T, bool> done, CancellationToken ct,
        Func<Task<string>>? explain = null)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(25);
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await read();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lastError = e;
            }

            if (clock.Elapsed > within)
            {
                var more = explain is null ? "" : " " + await explain();
                Assert.Fail($"{what}: not within {within.TotalSeconds:0.#} s. Last value: {last?.ToString() ?? "null"}. Last error: {lastError?.ToString() ?? "none"}.{more}");
            }

            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }
}

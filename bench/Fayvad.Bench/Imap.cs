using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Fayvad.Bench;

internal static class Imap
{
    /// <summary>
    /// An authenticated session inside <paramref name="mailbox"/> through Dovecot's master user ("user*fayvad_api"), the
    /// same login the API's session pool makes.
    /// </summary>
    public static async Task<ImapClient> OpenAsync(StackEnv env, string mailbox, CancellationToken ct, string? protocolLog = null)
    {
        var client = protocolLog is { Length: > 0 }
            ? new ImapClient(new ProtocolLogger(protocolLog, append: false) { RedactSecrets = true, LogTimestamps = true, TimestampFormat = "HH:mm:ss.ffffff" })
            : new ImapClient();
        client.Timeout = 120_000;
        try
        {
            await client.ConnectAsync(env.ImapHost, env.ImapPort, SecureSocketOptions.None, ct);
            await client.AuthenticateAsync($"{mailbox}*{env["IMAP_MASTER_USER"]}", env["IMAP_MASTER_PASSWORD"], ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}

using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Health;

/// <summary>Dovecot answers with its IMAP greeting (over the configured TLS mode); no login, so no mailbox is touched.</summary>
internal sealed class ImapHealthCheck(IOptions<MailOptions> options) : IHealthCheck
{
    public const string Name = "imap";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        MailServerProbe.GreetsAsync(new ImapClient(), options.Value.Imap.Host, options.Value.Imap.Port, options.Value.Imap.Security,
            "The IMAP server (Dovecot)", cancellationToken);
}

/// <summary>
/// The submission service (Postfix) answers with its 220 greeting. Postfix authenticates submissions through Dovecot:
/// while Dovecot does not answer, a new smtpd process exits at once ("no SASL authentication mechanisms") and Postfix
/// then refuses the whole service for 60 s. So submission is probed only when Dovecot answers; a probe would otherwise
/// prolong the outage past Dovecot's return.
/// </summary>
internal sealed class SmtpHealthCheck(IOptions<MailOptions> options) : IHealthCheck
{
    public const string Name = "smtp";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var mail = options.Value;
        var dovecot = await MailServerProbe.GreetsAsync(new ImapClient(), mail.Imap.Host, mail.Imap.Port, mail.Imap.Security, "Dovecot", cancellationToken);
        if (dovecot.Status != HealthStatus.Healthy)
        {
            return HealthCheckResult.Unhealthy("Not probed: submission authenticates through Dovecot, which does not answer.");
        }

        return await MailServerProbe.GreetsAsync(new SmtpClient(), mail.Smtp.Host, mail.Smtp.Port, mail.Smtp.Security,
            "The submission server (Postfix)", cancellationToken);
    }
}

internal static class MailServerProbe
{
    /// <summary>Connects (MailKit reads the greeting and, with TLS, completes the handshake), then says goodbye.</summary>
    public static async Task<HealthCheckResult> GreetsAsync(
        MailService client, string host, int port, SecureSocketOptions security, string what, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                await client.ConnectAsync(host, port, security, cancellationToken);
                await client.DisconnectAsync(true, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (SocketException)
            {
                return HealthCheckResult.Unhealthy($"{what} refuses connections.");
            }
            catch (Exception ex) when (ex is IOException or ProtocolException or SslHandshakeException or CommandException)
            {
                return HealthCheckResult.Unhealthy($"{what} did not answer as expected.");
            }
        }
    }
}

using System.Net.Sockets;
using Fayvad.Mail.Contracts;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail;

/// <summary>A TCP connect to the IMAP and submission ports: cheap, and enough to tell a stopped server.</summary>
internal sealed class MailServerStatus(IOptions<MailOptions> options) : IMailServerStatus
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<MailServerReachability> CheckAsync(CancellationToken cancellationToken)
    {
        var mail = options.Value;
        var imap = AnswersAsync(mail.Imap.Host, mail.Imap.Port, cancellationToken);
        var smtp = AnswersAsync(mail.Smtp.Host, mail.Smtp.Port, cancellationToken);
        return new MailServerReachability(await imap, await smtp);
    }

    private static async Task<bool> AnswersAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when ((ex is SocketException or OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

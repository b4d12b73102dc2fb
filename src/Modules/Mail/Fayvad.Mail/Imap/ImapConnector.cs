using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Imap;

/// <summary>Opens an authenticated IMAP connection into one user's mailbox.</summary>
internal interface IImapConnector
{
    Task<ImapClient> ConnectAsync(string mailbox, CancellationToken cancellationToken, IProtocolLogger? protocolLogger = null);
}

/// <summary>Opens an IMAP connection into one user's mailbox through the master user; the pool and the watchers share it.</summary>
internal sealed partial class ImapConnector(IOptions<MailOptions> options, ILogger<ImapConnector> logger) : IImapConnector
{
    private readonly ImapOptions _options = options.Value.Imap;

    public async Task<ImapClient> ConnectAsync(string mailbox, CancellationToken cancellationToken, IProtocolLogger? protocolLogger = null)
    {
        var client = protocolLogger is null ? new ImapClient() : new ImapClient(protocolLogger);
        client.Timeout = (int)_options.ConnectTimeout.TotalMilliseconds;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, connectTimeout.Token);
            await client.AuthenticateAsync(mailbox + _options.MasterSeparator + _options.MasterUser, _options.MasterPassword, connectTimeout.Token);
            // QRESYNC (RFC 7162) makes UID FETCH ... CHANGEDSINCE also report expunged UIDs (VANISHED): delta sync needs it.
            if (client.Capabilities.HasFlag(ImapCapabilities.QuickResync))
            {
                await client.EnableQuickResyncAsync(connectTimeout.Token);
            }

            return client;
        }
        catch (AuthenticationException ex)
        {
            client.Dispose();
            LogLoginRefused(logger, ex, mailbox);
            throw new MailUnavailableException("The mail server refused access to this mailbox.", ex);
        }
        catch (Exception ex) when (IsConnectionFault(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            client.Dispose();
            LogConnectFailed(logger, ex, _options.Host, _options.Port);
            throw new MailUnavailableException("The mail server is unavailable. Try again shortly.", ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static bool IsConnectionFault(Exception ex) =>
        ex is IOException or SocketException or ImapProtocolException or ServiceNotConnectedException
            or ServiceNotAuthenticatedException or TimeoutException;

    [LoggerMessage(Level = LogLevel.Error, Message = "The IMAP server refused the master login for {Mailbox}")]
    private static partial void LogLoginRefused(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot connect to the IMAP server {Host}:{Port}")]
    private static partial void LogConnectFailed(ILogger logger, Exception exception, string host, int port);
}

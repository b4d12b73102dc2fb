using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Fayvad.Mail.Imap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Fayvad.Mail.Smtp;

/// <summary>Submits a message through the submission service (Postfix) authenticated as the mailbox's owner.</summary>
internal interface IMailSubmitter
{
    /// <summary>Returns once the server accepted the message for every recipient; throws otherwise.</summary>
    Task SubmitAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken);
}

internal sealed class RecipientRejectedException(string address, string reason) : Exception($"{address}: {reason}")
{
    public string Address { get; } = address;
}

internal sealed partial class MailSubmitter(IOptions<MailOptions> options, ILogger<MailSubmitter> logger) : IMailSubmitter, IDisposable
{
    private readonly MailOptions _options = options.Value;

    // Each submission is a Postfix smtpd process with its own lookups: bounded, so a burst of sends queues here briefly
    // instead of starving Postfix and PostgreSQL.
    private readonly SemaphoreSlim _slots = new(options.Value.Smtp.MaxConcurrentSubmissions);

    public void Dispose() => _slots.Dispose();

    public async Task SubmitAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        if (!await _slots.WaitAsync(_options.Smtp.SubmissionWait, cancellationToken))
        {
            throw new MailUnavailableException("The mail server is busy. Nothing was sent; try again shortly.");
        }

        try
        {
            await SubmitNowAsync(mailbox, message, recipients, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task SubmitNowAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)_options.Imap.ConnectTimeout.TotalMilliseconds * 3 };
        try
        {
            await client.ConnectAsync(_options.Smtp.Host, _options.Smtp.Port, _options.Smtp.Security, cancellationToken);
            // Same master login as IMAP: Postfix asks Dovecot, which authenticates the user, so
            // smtpd_sender_login_maps still lets this session send only as the mailbox itself.
            await client.AuthenticateAsync(mailbox + _options.Imap.MasterSeparator + _options.Imap.MasterUser, _options.Imap.MasterPassword, cancellationToken);
            await client.SendAsync(message, new MailboxAddress("", mailbox), recipients, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && ex.Mailbox is not null && (int)ex.StatusCode >= 500)
        {
            throw new RecipientRejectedException(ex.Mailbox.Address, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException
            or AuthenticationException or SmtpCommandException)
        {
            // A 4xx (e.g. "451 temporary lookup failure") is the server's "try again": 503, like any outage.
            LogSubmitFailed(logger, ex, mailbox);
            throw new MailUnavailableException("The mail server could not accept the message. Nothing was sent; try again.", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Submission for {Mailbox} failed")]
    private static partial void LogSubmitFailed(ILogger logger, Exception exception, string mailbox);
}

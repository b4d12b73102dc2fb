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

/// <summary>The submission policy refused the message: the mailbox or its domain reached its hourly sending limit.</summary>
internal sealed class SendingLimitException(string reason, TimeSpan? retryAfter) : Exception(reason)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

internal sealed class RecipientRejectedException(string address, string reason) : Exception($"{address}: {reason}")
{
    public string Address { get; } = address;
}

/// <summary>
/// The connection failed after the message's content had started to go out: the server may have queued it (its "250"
/// was lost) or not. A retry must reuse the Message-ID so the copy, if any, is recognised (docs/adr/0017).
/// </summary>
internal sealed class SubmissionUncertainException(Exception inner)
    : Exception("The mail server stopped answering while it received the message.", inner);

internal sealed partial class MailSubmitter(IOptions<MailOptions> options, ILogger<MailSubmitter> logger) : IMailSubmitter, IDisposable
{
    private readonly MailOptions _options = options.Value;

    // Each submission is a Postfix smtpd process with its own lookups: bounded, so a burst of sends queues here briefly
    // instead of starving Postfix and PostgreSQL.
    private readonly SemaphoreSlim _slots = new(options.Value.Smtp.MaxConcurrentSubmissions);

    // Until when (Environment.TickCount64) the submission service is taken as down after a failed handshake.
    private long _unreachableUntil;

    public void Dispose() => _slots.Dispose();

    public async Task SubmitAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        using var activity = MailTracing.Source.StartActivity("smtp submit", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("fayvad.smtp.recipients", recipients.Count);
        try
        {
            await SubmitQueuedAsync(mailbox, message, recipients, cancellationToken);
        }
        catch (Exception ex)
        {
            activity.Failed(ex);
            throw;
        }
    }

    private async Task SubmitQueuedAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        if (!await _slots.WaitAsync(_options.Smtp.SubmissionWait, cancellationToken))
        {
            throw new MailUnavailableException("The mail server is busy. Nothing was sent; try again shortly.");
        }

        try
        {
            // The server just failed to answer: those who queued behind that attempt get their 503 now, not after
            // their own timeout; the first send after the pause tries again.
            if (Environment.TickCount64 < Volatile.Read(ref _unreachableUntil))
            {
                throw new MailUnavailableException("The mail server could not accept the message. Nothing was sent; try again.");
            }

            await SubmitNowAsync(mailbox, message, recipients, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task SubmitNowAsync(string mailbox, MimeMessage message, IReadOnlyList<MailboxAddress> recipients, CancellationToken cancellationToken)
    {
        using var client = await ConnectAsync(mailbox, cancellationToken);
        var progress = new DataProgress();
        try
        {
            await client.SendAsync(message, new MailboxAddress("", mailbox), recipients, cancellationToken, progress);
        }
        catch (Exception ex) when (progress.Started && ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException
            or OperationCanceledException)
        {
            LogSubmitFailed(logger, ex, mailbox);
            throw new SubmissionUncertainException(ex);
        }
        catch (SmtpCommandException ex) when (ex.Message.Contains(Directory.Contracts.SendingLimitReply.Start, StringComparison.Ordinal))
        {
            // The policy's own sentence, without the enhanced status code in front of it.
            var reason = ex.Message[ex.Message.IndexOf(Directory.Contracts.SendingLimitReply.Start, StringComparison.Ordinal)..];
            throw new SendingLimitException(reason, Directory.Contracts.SendingLimitReply.RetryAfter(reason));
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

        // Accepted (250): from here nothing may turn the send into a failure, or the client's retry would send it twice.
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.DisconnectAsync(true, quick.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or OperationCanceledException)
        {
            LogQuitFailed(logger, ex, mailbox);
        }
    }

    /// <summary>Notes whether any of the message's content was written (DATA or BDAT under way).</summary>
    private sealed class DataProgress : ITransferProgress
    {
        public bool Started { get; private set; }

        public void Report(long bytesTransferred, long totalSize) => Started |= bytesTransferred > 0;

        public void Report(long bytesTransferred) => Started |= bytesTransferred > 0;
    }

    /// <summary>
    /// Connect, greeting, EHLO and AUTH within <see cref="SmtpOptions.ConnectTimeout"/>. A session the server drops before
    /// MAIL FROM carried nothing, so it is opened again (up to three times): after a "postfix reload" each old idle smtpd
    /// drops the one connection it accepts while it exits.
    /// </summary>
    private async Task<SmtpClient> ConnectAsync(string mailbox, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var client = new SmtpClient { Timeout = (int)_options.Imap.ConnectTimeout.TotalMilliseconds * 3 };
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(_options.Smtp.ConnectTimeout);
            try
            {
                await client.ConnectAsync(_options.Smtp.Host, _options.Smtp.Port, _options.Smtp.Security, handshake.Token);
                // Same master login as IMAP: Postfix asks Dovecot, which authenticates the user, so
                // smtpd_sender_login_maps still lets this session send only as the mailbox itself.
                await client.AuthenticateAsync(mailbox + _options.Imap.MasterSeparator + _options.Imap.MasterUser, _options.Imap.MasterPassword, handshake.Token);
                return client;
            }
            catch (Exception ex) when (ex is SmtpProtocolException or IOException && attempt < 3 && !handshake.IsCancellationRequested)
            {
                client.Dispose();
                LogHandshakeRetried(logger, ex, mailbox);
            }
            catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                client.Dispose();
                // Refused, silent or dropping us: whoever queued behind this attempt gets a 503 at once (see SubmitAsync).
                Volatile.Write(ref _unreachableUntil, Environment.TickCount64 + 1000);
                LogSubmitFailed(logger, ex, mailbox);
                throw new MailUnavailableException("The mail server could not accept the message. Nothing was sent; try again.", ex);
            }
            catch (Exception ex) when (ex is AuthenticationException or SmtpCommandException)
            {
                // The server answers but cannot log the mailbox in now (e.g. Dovecot's auth without its database).
                client.Dispose();
                LogSubmitFailed(logger, ex, mailbox);
                throw new MailUnavailableException("The mail server could not accept the message. Nothing was sent; try again.", ex);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The submission server dropped the session of {Mailbox} before MAIL FROM; opening another")]
    private static partial void LogHandshakeRetried(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Submission for {Mailbox} was accepted; closing the session failed")]
    private static partial void LogQuitFailed(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Submission for {Mailbox} failed")]
    private static partial void LogSubmitFailed(ILogger logger, Exception exception, string mailbox);
}

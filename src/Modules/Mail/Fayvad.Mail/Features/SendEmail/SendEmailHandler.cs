using System.Security.Cryptography;
using System.Text;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Smtp;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace Fayvad.Mail.Features.SendEmail;

/// <summary>
/// From is always the caller's own mailbox. Submitted through Postfix as that user, then one copy appended to Sent
/// (\Seen). With an Idempotency-Key a retry returns the first result and nothing is delivered twice.
/// </summary>
internal sealed partial class SendEmailHandler(
    ICurrentUser caller,
    IDirectoryProfiles profiles,
    IMailSubmitter submitter,
    IImapSessions sessions,
    MailDbContext db,
    TimeProvider clock,
    IOptions<MailOptions> options,
    ILogger<SendEmailHandler> logger) : ICommandHandler<SendEmailCommand, Result<SendEmailResponse>>
{
    public async ValueTask<Result<SendEmailResponse>> Handle(SendEmailCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        var size = command.Attachments.Sum(a => (long)a.Content.Length) + (command.Body?.Length ?? 0) + (command.BodyHtml?.Length ?? 0);
        if (size > options.Value.Smtp.MaxMessageBytes)
        {
            return Error.PayloadTooLarge($"The message is {size / 1048576.0:0.0} MB; the limit is {options.Value.Smtp.MaxMessageBytes / 1048576} MB.");
        }

        SentRecord? record = null;
        if (command.IdempotencyKey is { Length: > 0 } key)
        {
            var claim = await ClaimAsync(mailbox.Value, key, RequestHash(command), cancellationToken);
            if (claim.Replay is not null || claim.Error is not null)
            {
                return claim.Replay is { } replay ? replay : claim.Error!;
            }

            record = claim.Record;
        }

        try
        {
            var result = await SendAsync(mailbox.Value, command, cancellationToken);
            if (record is not null && result.IsSuccess)
            {
                record.Completed = true;
                record.MessageId = result.Value.MessageId;
                record.SentAt = result.Value.Timestamp;
                await db.SaveChangesAsync(CancellationToken.None);
            }
            else if (record is not null)
            {
                await ReleaseAsync(record);
            }

            return result;
        }
        catch
        {
            // Not sent: free the key so the client's retry can send.
            if (record is not null)
            {
                await ReleaseAsync(record);
            }

            throw;
        }
    }

    private async Task<Result<SendEmailResponse>> SendAsync(string mailbox, SendEmailCommand command, CancellationToken cancellationToken)
    {
        var (inReplyTo, references) = await ReplyHeadersAsync(mailbox, command, cancellationToken);
        if (command.ReplyToId is not null && inReplyTo is null)
        {
            return Error.NotFound("The message being replied to (reply_to_id) was not found.");
        }

        var profile = await profiles.GetProfileAsync(caller.UserId, cancellationToken);
        var from = new MailboxAddress(OutgoingMessage.SingleLine(profile?.EmailAccount?.DisplayName ?? profile?.DisplayName ?? ""), mailbox);
        var to = Parse(command.ToEmails);
        var cc = Parse(command.CcEmails);
        var bcc = Parse(command.BccEmails);
        var now = clock.GetUtcNow();
        var message = OutgoingMessage.Build(from, to, cc, bcc, command.Subject ?? "", command.Body, command.BodyHtml,
            command.Attachments, inReplyTo, references, now);

        try
        {
            await submitter.SubmitAsync(mailbox, message, [.. to, .. cc, .. bcc], cancellationToken);
        }
        catch (RecipientRejectedException rejected)
        {
            return Error.Validation("to_emails", $"The mail server refused the recipient {rejected.Address}. Nothing was sent.");
        }

        // Delivered: from here on the answer is "sent", even if the Sent copy cannot be saved.
        var saved = await SaveToSentAsync(mailbox, message);
        return new SendEmailResponse(true, $"<{message.MessageId}>", now, saved);
    }

    private async Task<bool> SaveToSentAsync(string mailbox, MimeMessage message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await sessions.RunAsync(mailbox, async (client, ct) =>
            {
                var sent = Folders.Special(client, SpecialFolder.Sent) ?? await Folders.FindAsync(client, "Sent", ct);
                if (sent is null)
                {
                    return false;
                }

                await sent.AppendAsync(new AppendRequest(message, MessageFlags.Seen), ct);
                return true;
            }, timeout.Token);
        }
        catch (Exception ex) when (ex is DependencyUnavailableException or MailKit.Net.Imap.ImapCommandException or OperationCanceledException)
        {
            LogSentCopyFailed(logger, ex, mailbox, message.MessageId ?? "");
            return false;
        }
    }

    private async Task<(string? InReplyTo, IReadOnlyList<string> References)> ReplyHeadersAsync(
        string mailbox, SendEmailCommand command, CancellationToken cancellationToken)
    {
        if (command.ReplyToId is { } id && MessageIds.TryDecode(id, out var location))
        {
            return await sessions.RunAsync(mailbox, async (client, ct) =>
            {
                var folder = await MessageResolver.OpenFolderAsync(client, location, FolderAccess.ReadOnly, ct);
                var original = folder is null
                    ? null
                    : (await folder.FetchAsync([location.UniqueId], new FetchRequest(MessageSummaryItems.Envelope | MessageSummaryItems.References), ct)).FirstOrDefault();
                if (original?.Envelope?.MessageId is not { Length: > 0 } messageId)
                {
                    return ((string?)null, (IReadOnlyList<string>)[]);
                }

                var chain = (original.References?.ToList() ?? []).Append(messageId).ToList();
                return (messageId, (IReadOnlyList<string>)chain);
            }, cancellationToken);
        }

        if (command.InReplyTo is { Length: > 0 } raw)
        {
            var messageId = OutgoingMessage.SingleLine(raw).Trim('<', '>');
            return (messageId, [messageId]);
        }

        return (null, []);
    }

    private async Task<(SentRecord? Record, SendEmailResponse? Replay, Error? Error)> ClaimAsync(
        string mailbox, string key, byte[] hash, CancellationToken cancellationToken)
    {
        var record = new SentRecord { Mailbox = mailbox, IdempotencyKey = key, RequestHash = hash, CreatedAt = clock.GetUtcNow() };
        db.SentRecords.Add(record);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return (record, null, null);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            db.Entry(record).State = EntityState.Detached;
        }

        var first = await db.SentRecords.AsNoTracking().SingleAsync(r => r.Mailbox == mailbox && r.IdempotencyKey == key, cancellationToken);
        if (!first.RequestHash.AsSpan().SequenceEqual(hash))
        {
            return (null, null, Error.Conflict("This Idempotency-Key was already used for a different message."));
        }

        return first.Completed
            ? (null, new SendEmailResponse(true, first.MessageId!, first.SentAt!.Value, true), null)
            : (null, null, Error.Conflict("A send with this Idempotency-Key is still in progress."));
    }

    private async Task ReleaseAsync(SentRecord record)
    {
        db.SentRecords.Remove(record);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private static List<MailboxAddress> Parse(IReadOnlyList<string> addresses) =>
        addresses.Select(a => MailboxAddress.Parse(a)).Select(m => new MailboxAddress(OutgoingMessage.SingleLine(m.Name ?? ""), m.Address)).ToList();

    private static byte[] RequestHash(SendEmailCommand command)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in command.ToEmails.Concat(["|"]).Concat(command.CcEmails).Concat(["|"]).Concat(command.BccEmails)
                     .Concat(["|", command.Subject ?? "", "|", command.Body ?? "", "|", command.BodyHtml ?? "", "|", command.ReplyToId ?? "", command.InReplyTo ?? ""]))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(part));
            hash.AppendData([0]);
        }

        foreach (var attachment in command.Attachments)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(attachment.FileName));
            hash.AppendData(SHA256.HashData(attachment.Content));
        }

        return hash.GetHashAndReset();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} from {Mailbox} was sent but its copy could not be saved in Sent")]
    private static partial void LogSentCopyFailed(ILogger logger, Exception exception, string mailbox, string messageId);
}

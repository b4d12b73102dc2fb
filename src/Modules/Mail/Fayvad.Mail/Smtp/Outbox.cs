using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Results;
using MailKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace Fayvad.Mail.Smtp;

/// <summary>A message ready to submit. <see cref="Resources"/> (e.g. the temp file a draft was read into) live until it is sent.</summary>
internal sealed record OutgoingMail(MimeMessage Message, IReadOnlyList<MailboxAddress> Recipients, IDisposable? Resources = null);

internal sealed record SentMail(string MessageId, DateTimeOffset Timestamp, bool SavedToSent, bool Replayed);

/// <summary>
/// Sending, once: idempotency keys claimed in PostgreSQL, submission through Postfix as the user, one copy appended to
/// Sent (\Seen). A retry under a claimed key gets the first result instead of a second delivery; a key reused for a
/// different request is a conflict. Shared by a compose send and a draft send.
/// A claim is leased (<see cref="SmtpOptions.ClaimLease"/>): the attempt gives up before its lease ends, so a claim
/// still open after it was left by a process that died, and a retry takes it over (docs/adr/0016).
/// </summary>
internal sealed partial class Outbox(
    IMailSubmitter submitter,
    IImapSessions sessions,
    MailDbContext db,
    ClaimFinisher finisher,
    TimeProvider clock,
    IOptions<MailOptions> options,
    ILogger<Outbox> logger,
    MailMetrics metrics)
{
    private readonly TimeSpan _lease = options.Value.Smtp.ClaimLease;

    /// <param name="keys">Claimed in order; the first already completed one answers with its first result.</param>
    /// <param name="prepare">Builds the message once every key is claimed; a failure frees the keys.</param>
    /// <param name="afterSent">Runs once delivered and filed in Sent (e.g. remove the draft); its failure does not undo "sent".</param>
    public async Task<Result<SentMail>> SendOnceAsync(
        string mailbox,
        IReadOnlyList<string> keys,
        byte[] requestHash,
        Func<CancellationToken, Task<Result<OutgoingMail>>> prepare,
        Func<CancellationToken, Task>? afterSent,
        CancellationToken cancellationToken)
    {
        var records = new List<SentRecord>();
        foreach (var key in keys)
        {
            var claim = await ClaimAsync(mailbox, key, requestHash, cancellationToken);
            if (claim.Record is null)
            {
                await ReleaseAsync(records);
                if (claim.Replay is { } replay)
                {
                    metrics.SendReplays.Add(1);
                    return replay;
                }

                return claim.Error!;
            }

            records.Add(claim.Record);
        }

        // The attempt ends well inside its lease, so nobody takes the claim over while it may still submit.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var maybeSent = false;
        budget.CancelAfter(_lease * 3 / 4);
        try
        {
            var prepared = await prepare(budget.Token);
            if (!prepared.IsSuccess)
            {
                await ReleaseAsync(records);
                return prepared.Error;
            }

            using var resources = prepared.Value.Resources;
            var message = prepared.Value.Message;
            await RecordMessageIdAsync(records, message, budget.Token);
            try
            {
                await submitter.SubmitAsync(mailbox, message, prepared.Value.Recipients, budget.Token);
                metrics.SendSubmitted.Add(1);
            }
            catch (RecipientRejectedException rejected)
            {
                metrics.SendFailed.Add(1, new KeyValuePair<string, object?>("reason", "recipient_refused"));
                await ReleaseAsync(records);
                return Error.Validation("to_emails", $"The mail server refused the recipient {rejected.Address}. Nothing was sent.");
            }
            catch (SendingLimitException limit)
            {
                metrics.SendFailed.Add(1, new KeyValuePair<string, object?>("reason", "sending_limit"));
                await ReleaseAsync(records);
                return Error.TooManyRequests(limit.Message + " Nothing was sent.", limit.RetryAfter ?? TimeSpan.FromMinutes(1));
            }
            catch (SubmissionUncertainException uncertain)
            {
                // Maybe queued: the claim keeps its Message-ID and ends now, so the retry takes it over at once and sends
                // under the same Message-ID, which delivery discards as a duplicate if the first copy got through.
                metrics.SendFailed.Add(1, new KeyValuePair<string, object?>("reason", "uncertain"));
                await EndLeaseAsync(records);
                maybeSent = true;
                throw new MailUnavailableException(
                    "The mail server stopped answering while it received the message. Retry with the same Idempotency-Key: it will not be delivered twice.",
                    uncertain);
            }
            catch (Exception ex) when (ex is MailUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The caller's own cancellation is not the server's failure; an outage or our time budget running out is.
                metrics.SendFailed.Add(1, new KeyValuePair<string, object?>("reason", ex is MailUnavailableException ? "unavailable" : "timeout"));
                throw;
            }

            // Delivered: from here on the answer is "sent", even if the Sent copy cannot be saved.
            var now = clock.GetUtcNow();
            var sent = new SentMail($"<{message.MessageId}>", now, await SaveToSentAsync(mailbox, message), false);
            foreach (var record in records)
            {
                record.Completed = true;
                record.MessageId = sent.MessageId;
                record.SentAt = sent.Timestamp;
            }

            try
            {
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ClaimFinisher.IsDatabaseOutage(ex))
            {
                // Postfix has it: the answer is "sent" whatever PostgreSQL says; the record follows when it is back.
                LogCompletionDeferred(logger, ex, mailbox);
                foreach (var record in records)
                {
                    finisher.Complete(record.Id, record.ClaimedUntil!.Value, sent.MessageId, sent.Timestamp);
                }
            }

            if (afterSent is not null)
            {
                await RunAfterSentAsync(mailbox, afterSent);
            }

            return sent;
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await ReleaseAsync(records.Where(r => !r.Completed).ToList());
            throw new MailUnavailableException("The mail server took too long to accept the message. Nothing was sent; try again.");
        }
        catch when (!maybeSent)
        {
            // Not sent: free the keys so the client's retry can send.
            await ReleaseAsync(records.Where(r => !r.Completed).ToList());
            throw;
        }
    }

    /// <summary>
    /// The Message-ID is stored with the claim before submission. A retry that takes over a claim whose process died
    /// reuses it: if that process had in fact delivered, the duplicate carries the same Message-ID and is visible as one.
    /// </summary>
    private async Task RecordMessageIdAsync(List<SentRecord> records, MimeMessage message, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        if (records.Select(r => r.MessageId).FirstOrDefault(id => id is not null) is { } earlier)
        {
            message.MessageId = earlier.Trim('<', '>');
        }

        foreach (var record in records)
        {
            record.MessageId = $"<{message.MessageId}>";
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> SaveToSentAsync(string mailbox, MimeMessage message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await sessions.RunAsync(mailbox, async (session, ct) =>
            {
                var sent = session.Special(SpecialFolder.Sent) ?? await session.FindFolderAsync("Sent", ct);
                if (sent is null)
                {
                    return false;
                }

                await sent.AppendAsync(new AppendRequest(message, MessageFlags.Seen), ct);
                return true;
            }, timeout.Token);
        }
        catch (Exception ex) when (ex is DependencyUnavailableException or MailKit.Net.Imap.ImapCommandException or OperationCanceledException or IOException)
        {
            LogSentCopyFailed(logger, ex, mailbox, message.MessageId ?? "");
            return false;
        }
    }

    private async Task RunAfterSentAsync(string mailbox, Func<CancellationToken, Task> afterSent)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await afterSent(timeout.Token);
        }
        catch (Exception ex) when (ex is DependencyUnavailableException or MailKit.Net.Imap.ImapCommandException or OperationCanceledException or IOException)
        {
            LogAfterSentFailed(logger, ex, mailbox);
        }
    }

    private async Task<(SentRecord? Record, SentMail? Replay, Error? Error)> ClaimAsync(
        string mailbox, string key, byte[] hash, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var record = new SentRecord
        {
            Mailbox = mailbox, IdempotencyKey = key, RequestHash = hash, CreatedAt = now, ClaimedUntil = now + _lease,
        };
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

        if (first.Completed)
        {
            return (null, new SentMail(first.MessageId!, first.SentAt!.Value, true, true), null);
        }

        // A claim past its lease was left by an attempt that died (its own budget ends before the lease): take it over.
        // Several retries may race for it; the conditional update lets exactly one win.
        now = clock.GetUtcNow();
        if (first.ClaimedUntil is null || first.ClaimedUntil < now)
        {
            var staleUntil = first.ClaimedUntil;
            var taken = await db.SentRecords
                .Where(r => r.Id == first.Id && !r.Completed && r.ClaimedUntil == staleUntil)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimedUntil, now + _lease), cancellationToken);
            if (taken == 1)
            {
                first.ClaimedUntil = now + _lease;
                db.SentRecords.Attach(first);
                LogClaimTakenOver(logger, mailbox, staleUntil);
                return (first, null, null);
            }
        }

        return (null, null, Error.Conflict("A send with this Idempotency-Key is still in progress."));
    }

    private async Task EndLeaseAsync(List<SentRecord> records)
    {
        try
        {
            var now = clock.GetUtcNow();
            foreach (var record in records)
            {
                record.ClaimedUntil = now;
            }

            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ClaimFinisher.IsDatabaseOutage(ex))
        {
            // The lease then ends on its own; the Message-ID is already recorded.
        }
    }

    private async Task ReleaseAsync(List<SentRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        try
        {
            db.SentRecords.RemoveRange(records);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ClaimFinisher.IsDatabaseOutage(ex))
        {
            // PostgreSQL failed under this send: free the keys as soon as it is back, not at the end of the lease.
            foreach (var record in records)
            {
                finisher.Release(record.Id, record.ClaimedUntil!.Value);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A send claim of {Mailbox} leased until {ClaimedUntil} was left by a dead attempt; a retry took it over")]
    private static partial void LogClaimTakenOver(ILogger logger, string mailbox, DateTimeOffset? claimedUntil);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} from {Mailbox} was sent but its copy could not be saved in Sent")]
    private static partial void LogSentCopyFailed(ILogger logger, Exception exception, string mailbox, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message from {Mailbox} was sent; PostgreSQL failed while recording it, which is retried")]
    private static partial void LogCompletionDeferred(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(Level = LogLevel.Error, Message = "A message from {Mailbox} was sent but the clean-up after it failed")]
    private static partial void LogAfterSentFailed(ILogger logger, Exception exception, string mailbox);
}

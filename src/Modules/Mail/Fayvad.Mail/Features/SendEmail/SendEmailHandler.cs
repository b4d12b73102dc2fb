using System.Security.Cryptography;
using System.Text;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Smtp;
using Fayvad.Mail.Uploads;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Fayvad.Mail.Features.SendEmail;

/// <summary>
/// From is always the caller's own mailbox. A body that is HTML goes out as multipart/alternative (sanitized HTML and
/// its plain-text rendering); files come inline (JSON base64, form parts) or as uploads named by attachment_ids,
/// streamed from storage. Sent through the <see cref="Outbox"/>: once per Idempotency-Key, one copy in Sent.
/// </summary>
internal sealed class SendEmailHandler(
    ICurrentUser caller,
    IDirectoryProfiles profiles,
    IImapSessions sessions,
    UploadStore uploads,
    Outbox outbox,
    TimeProvider clock,
    IOptions<MailOptions> options) : ICommandHandler<SendEmailCommand, Result<SendEmailResponse>>
{
    public async ValueTask<Result<SendEmailResponse>> Handle(SendEmailCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        var uploaded = await uploads.AttachAsync(caller.UserId, command.AttachmentIds, cancellationToken);
        if (!uploaded.IsSuccess)
        {
            return uploaded.Error;
        }

        IReadOnlyList<OutgoingAttachment> attachments = [.. command.Attachments, .. uploaded.Value];
        var body = OutgoingHtml.Compose(command.Body, command.BodyHtml);
        var size = OutgoingMessage.EncodedSize(body, attachments);
        var limit = options.Value.Smtp.MaxMessageBytes;
        if (size > limit)
        {
            return Error.PayloadTooLarge(
                $"The message would be {size / 1048576.0:0.0} MB once encoded; the limit is {limit / 1048576.0:0.#} MB (attachments count a third more after encoding).");
        }

        var keys = command.IdempotencyKey is { Length: > 0 } key ? [key] : Array.Empty<string>();
        var sent = await outbox.SendOnceAsync(mailbox.Value, keys, RequestHash(command),
            ct => BuildAsync(mailbox.Value, command, body, attachments, ct), afterSent: null, cancellationToken);
        return sent.Map(s => new SendEmailResponse(true, s.MessageId, s.Timestamp, s.SavedToSent));
    }

    private async Task<Result<OutgoingMail>> BuildAsync(
        string mailbox, SendEmailCommand command, ComposedBody body, IReadOnlyList<OutgoingAttachment> attachments, CancellationToken cancellationToken)
    {
        var (inReplyTo, references) = await ReplyHeadersAsync(mailbox, command, cancellationToken);
        if (command.ReplyToId is not null && inReplyTo is null)
        {
            return Error.NotFound("The message being replied to (reply_to_id) was not found.");
        }

        var from = await Participants.SenderAsync(profiles, caller.UserId, mailbox, cancellationToken);
        var to = Participants.Parse(command.ToEmails);
        var cc = Participants.Parse(command.CcEmails);
        var bcc = Participants.Parse(command.BccEmails);
        var message = OutgoingMessage.Build(from, to, cc, bcc, command.Subject ?? "", body.Text, body.Html,
            attachments, inReplyTo, references, clock.GetUtcNow());
        return new OutgoingMail(message, [.. to, .. cc, .. bcc]);
    }

    private async Task<(string? InReplyTo, IReadOnlyList<string> References)> ReplyHeadersAsync(
        string mailbox, SendEmailCommand command, CancellationToken cancellationToken)
    {
        if (command.ReplyToId is { } id && MessageIds.TryDecode(id, out var location))
        {
            return await sessions.RunAsync(mailbox, async (session, ct) =>
            {
                var folder = await session.OpenMessageFolderAsync(location, FolderAccess.ReadOnly, ct);
                var original = folder is null
                    ? null
                    : (await TolerantFetch.FetchAsync(folder, [location.UniqueId], new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.References), ct)).Summaries.FirstOrDefault();
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
            attachment.Content.Position = 0;
        }

        // An upload's bytes never change under its id, so the id stands for them.
        foreach (var id in command.AttachmentIds)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"upload:{id}"));
            hash.AppendData([0]);
        }

        return hash.GetHashAndReset();
    }
}

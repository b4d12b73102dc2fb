using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carter;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Drafts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Smtp;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Fayvad.Mail.Features.SendDraft;

internal sealed record SendDraftCommand(long Id, string? IdempotencyKey) : ICommand<Result<SendDraftResponse>>;

internal sealed record SendDraftResponse(bool Sent, string MessageId, DateTimeOffset Timestamp, bool SavedToSent, long DraftId);

internal sealed class SendDraftValidator : AbstractValidator<SendDraftCommand>
{
    public SendDraftValidator() => RuleFor(c => c.IdempotencyKey).MaximumLength(200);
}

/// <summary>
/// Sends the draft's newest version as it is (new Date and Message-ID, From the caller), files one copy in Sent and then
/// expunges the draft. Always claimed under the draft's own key too, so sending a draft twice (a double click, a retry
/// after a lost answer, with or without an Idempotency-Key) delivers it once and answers the first result again.
/// </summary>
internal sealed class SendDraftHandler(
    ICurrentUser caller,
    IDirectoryProfiles profiles,
    IImapSessions sessions,
    Outbox outbox,
    TimeProvider clock,
    IOptions<MailOptions> options) : ICommandHandler<SendDraftCommand, Result<SendDraftResponse>>
{
    public async ValueTask<Result<SendDraftResponse>> Handle(SendDraftCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        // Draft ids come from one sequence and are never reused, so the key names exactly this draft forever.
        var draftKey = "#draft:" + command.Id.ToString(CultureInfo.InvariantCulture);
        IReadOnlyList<string> keys = command.IdempotencyKey is { Length: > 0 } key ? [key, draftKey] : [draftKey];
        var from = await Participants.SenderAsync(profiles, caller.UserId, mailbox.Value, cancellationToken);
        var sent = await outbox.SendOnceAsync(mailbox.Value, keys, SHA256.HashData(Encoding.UTF8.GetBytes(draftKey)),
            ct => PrepareAsync(mailbox.Value, command.Id, from, ct),
            ct => sessions.RunAsync(mailbox.Value, (session, c) => DraftStore.RemoveAllAsync(session, command.Id, c), ct),
            cancellationToken);

        if (sent.IsSuccess && sent.Value.Replayed)
        {
            // The first send may have ended before its draft was removed.
            await RemoveLeftoverAsync(mailbox.Value, command.Id, cancellationToken);
        }

        return sent.Map(s => new SendDraftResponse(true, s.MessageId, s.Timestamp, s.SavedToSent, command.Id));
    }

    private Task<Result<OutgoingMail>> PrepareAsync(string mailbox, long id, MailboxAddress from, CancellationToken cancellationToken) =>
        sessions.RunAsync<Result<OutgoingMail>>(mailbox, async (session, ct) =>
        {
            var folder = await DraftStore.OpenAsync(session, FolderAccess.ReadOnly, ct);
            var versions = folder is null ? null : (await DraftStore.IndexAsync(folder, ct)).GetValueOrDefault(id);
            if (folder is null || versions is null)
            {
                return Error.NotFound("Draft not found.");
            }

            var draft = await DraftStore.LoadAsync(folder, versions[^1], ct);
            var message = draft.Message;
            var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes).ToList();
            var limit = options.Value.Smtp.MaxMessageBytes;
            Error? refused = recipients.Count == 0
                ? Error.Validation("to_recipients", "to_recipients: the draft has no recipient. Save it with at least one, then send it.")
                : draft.SizeBytes > limit
                    ? Error.PayloadTooLarge($"The draft is {draft.SizeBytes / 1048576.0:0.0} MB; a message may be at most {limit / 1048576.0:0.#} MB.")
                : message.Subject is not { Length: > 0 } && message.TextBody is not { Length: > 0 } && !message.Attachments.Any()
                    ? Error.Validation("body", "The draft is empty: give it a subject, a body or an attachment.")
                    : null;
            if (refused is not null)
            {
                draft.Dispose();
                return refused;
            }

            DraftStore.Unstamp(message);
            message.From.Clear();
            message.From.Add(from);
            message.Date = clock.GetUtcNow();
            message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(from.Domain);
            return new OutgoingMail(message, recipients, draft);
        }, cancellationToken);

    private async Task RemoveLeftoverAsync(string mailbox, long id, CancellationToken cancellationToken)
    {
        try
        {
            await sessions.RunAsync(mailbox, (session, ct) => DraftStore.RemoveAllAsync(session, id, ct), cancellationToken);
        }
        catch (DependencyUnavailableException)
        {
            // Sent already; the leftover goes with the next send or delete of this id.
        }
    }
}

public sealed class SendDraftEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/email/drafts/{id:long}/send", async (long id, HttpRequest request, ISender sender, CancellationToken ct) =>
            {
                var key = request.Headers["Idempotency-Key"].ToString().Trim();
                return (await sender.Send(new SendDraftCommand(id, key.Length == 0 ? null : key), ct)).ToOk();
            })
            .RequireAuthorization().WithRateLimitGroup(MailModule.SendRateLimitGroup).WithTags("Mail").WithName("SendDraft").Returns<SendDraftResponse>().Fails(403, 409, 413).Header("Idempotency-Key", "Sends at most once per key: a repeat answers the first result.");
    }
}

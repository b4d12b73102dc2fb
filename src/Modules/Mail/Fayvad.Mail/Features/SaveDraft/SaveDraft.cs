using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Drafts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Data;
using Fayvad.Mail.Uploads;
using Fayvad.Shared.Http;
using Fayvad.Shared.Text;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Fayvad.Mail.Features.SaveDraft;

/// <param name="Id">Null creates a draft; an id replaces that draft (which must be the caller's).</param>
internal sealed record SaveDraftCommand(
    long? Id,
    IReadOnlyList<string> ToRecipients,
    IReadOnlyList<string> CcRecipients,
    IReadOnlyList<string> BccRecipients,
    string? Subject,
    string? Body,
    string? BodyHtml,
    IReadOnlyList<long> AttachmentIds) : ICommand<Result<SaveDraftResponse>>;

/// <summary>The JSON body of a draft save (read through <see cref="ComposeJson"/>); to/cc/bcc are aliases of the *_recipients lists.</summary>
internal sealed record SaveDraftBody(
    long? Id,
    IReadOnlyList<string>? ToRecipients,
    IReadOnlyList<string>? CcRecipients,
    IReadOnlyList<string>? BccRecipients,
    IReadOnlyList<string>? To,
    IReadOnlyList<string>? Cc,
    IReadOnlyList<string>? Bcc,
    string? Subject,
    string? Body,
    string? BodyHtml,
    IReadOnlyList<long>? AttachmentIds);

internal sealed record SaveDraftResponse(long Id, string Message, bool Created, DateTimeOffset UpdatedAt);

internal sealed class SaveDraftValidator : AbstractValidator<SaveDraftCommand>
{
    public SaveDraftValidator()
    {
        // A draft may be unfinished (no recipient, no subject), but what it holds must be writable as mail headers.
        RuleForEach(c => c.ToRecipients).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"to_recipients: '{a}' is not a valid email address.");
        RuleForEach(c => c.CcRecipients).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"cc_recipients: '{a}' is not a valid email address.");
        RuleForEach(c => c.BccRecipients).Must(ComposeInput.IsAddress).WithMessage((_, a) => $"bcc_recipients: '{a}' is not a valid email address.");
        RuleFor(c => c.Subject).MaximumLength(998).SingleLine();
        RuleFor(c => c.AttachmentIds).Must(ids => ids.Count <= 50).WithMessage("attachment_ids: at most 50 files.");
    }
}

/// <summary>
/// Writes the draft as a whole new version (APPEND, \Draft) and only then expunges the older ones: if the API dies in
/// between, two versions exist (the newest wins everywhere) and none is lost. A replaced draft keeps the files of its
/// previous version, streamed from a temp file, plus any new uploads.
/// </summary>
internal sealed class SaveDraftHandler(
    ICurrentUser caller,
    IDirectoryProfiles profiles,
    IImapSessions sessions,
    UploadStore uploads,
    MailDataSource data,
    TimeProvider clock,
    IOptions<MailOptions> options) : ICommandHandler<SaveDraftCommand, Result<SaveDraftResponse>>
{
    public async ValueTask<Result<SaveDraftResponse>> Handle(SaveDraftCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        var added = await uploads.AttachAsync(caller.UserId, command.AttachmentIds, cancellationToken);
        if (!added.IsSuccess)
        {
            return added.Error;
        }

        var body = OutgoingHtml.Compose(command.Body, command.BodyHtml);
        var from = await Participants.SenderAsync(profiles, caller.UserId, mailbox.Value, cancellationToken);
        var id = command.Id ?? await DraftStore.NextIdAsync(data, cancellationToken);
        var now = clock.GetUtcNow();
        return await sessions.RunAsync<Result<SaveDraftResponse>>(mailbox.Value, async (session, ct) =>
        {
            if (await DraftStore.OpenAsync(session, FolderAccess.ReadWrite, ct) is not { } folder)
            {
                return Error.Unavailable("This mailbox has no Drafts folder.");
            }

            var older = (await DraftStore.IndexAsync(folder, ct)).GetValueOrDefault(id) ?? [];
            if (command.Id is not null && older.Count == 0)
            {
                return Error.NotFound("Draft not found.");
            }

            using var previous = older.Count > 0 ? await DraftStore.LoadAsync(folder, older[^1], ct) : null;
            var kept = previous?.Message.Attachments.ToList() ?? [];
            var size = OutgoingMessage.EncodedSize(body, added.Value, kept.Sum(EncodedLength));
            if (size > options.Value.Smtp.MaxMessageBytes)
            {
                return Error.PayloadTooLarge(
                    $"The draft would be {size / 1048576.0:0.0} MB once encoded; a message may be at most {options.Value.Smtp.MaxMessageBytes / 1048576.0:0.#} MB.");
            }

            var message = OutgoingMessage.Build(from, Participants.Parse(command.ToRecipients), Participants.Parse(command.CcRecipients),
                Participants.Parse(command.BccRecipients), command.Subject ?? "", body.Text, body.Html, added.Value, null, [], now, kept);
            DraftStore.Stamp(message, id, previous?.CreatedAt ?? now);
            await DraftStore.AppendAsync(folder, message, ct);
            await DraftStore.RemoveAsync(folder, older, ct);
            return new SaveDraftResponse(id, command.Id is null ? "Draft saved." : "Draft updated.", command.Id is null, now);
        }, cancellationToken);
    }

    /// <summary>A kept part is already encoded in the temp file: its stored length is what it adds to the message.</summary>
    private static long EncodedLength(MimeEntity entity) =>
        entity is MimePart { Content.Stream: { CanSeek: true } stream } ? stream.Length + 512 : 64 * 1024;
}

/// <summary>The client's server took <c>to_recipients</c> (HEAD also <c>to</c>, <c>cc</c>, <c>bcc</c>), each a list or a comma-separated string.</summary>
public sealed class SaveDraftEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (path, name) in new[] { ("/email/drafts/save", "SaveDraft"), ("/email/draft", "SaveDraftAlias") })
        {
            app.MapPost(ApiRoutes.Root + path, async Task<IResult> (HttpRequest request, ComposeJson json, ISender sender, CancellationToken ct) =>
                    (await sender.Send(ToCommand(await json.ReadAsync<SaveDraftBody>(request, ct)), ct)).ToOk())
                .RequireAuthorization().WithTags("Mail").WithName(name).Returns<SaveDraftResponse>().Fails(403, 404, 413).AcceptsBody<SaveDraftBody>();
        }
    }

    private static SaveDraftCommand ToCommand(SaveDraftBody body) => new(
        body.Id,
        body.ToRecipients ?? body.To ?? [],
        body.CcRecipients ?? body.Cc ?? [],
        body.BccRecipients ?? body.Bcc ?? [],
        body.Subject,
        body.Body,
        body.BodyHtml,
        body.AttachmentIds ?? []);
}

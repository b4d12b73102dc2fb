using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using MailKit.Search;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.ApplyAction;

/// <summary>
/// <paramref name="Ids"/>: API ids or RFC Message-IDs, mixed freely. For <c>move</c>, <paramref name="Folder"/> is the
/// destination, unless <paramref name="TargetFolder"/> is given (the client's later server): then that is the
/// destination and <paramref name="Folder"/> is where the messages are (where RFC Message-IDs are looked up first).
/// </summary>
internal sealed record ApplyActionCommand(string? Action, IReadOnlyList<string>? Ids, string? Folder, string? TargetFolder = null)
    : ICommand<Result<ApplyActionResponse>>
{
    public string? Destination => Action == "move" ? TargetFolder ?? Folder : null;

    public string? FolderHint => Action == "move" ? TargetFolder is null ? null : Folder : Folder;
}

internal sealed record ApplyActionResponse(bool Success, string Action, int Processed, int Total, IReadOnlyList<string> Failed);

internal sealed class ApplyActionValidator : AbstractValidator<ApplyActionCommand>
{
    public static readonly string[] Actions = ["mark_read", "mark_unread", "star", "unstar", "delete", "move", "mark_spam", "not_spam"];

    public ApplyActionValidator()
    {
        RuleFor(c => c.Action).NotEmpty().WithMessage("action is required.")
            .Must(a => Actions.Contains(a)).When(c => !string.IsNullOrEmpty(c.Action), ApplyConditionTo.CurrentValidator)
            .WithMessage($"action must be one of: {string.Join(", ", Actions)}.");
        RuleFor(c => c.Ids).NotEmpty().WithMessage("ids is required: a list of message ids.")
            .Must(ids => ids!.Count <= 1000).When(c => c.Ids is not null, ApplyConditionTo.CurrentValidator)
            .WithMessage("ids may hold at most 1000 message ids.");
        RuleForEach(c => c.Ids).NotEmpty().WithMessage("ids must hold message ids (non-empty strings).")
            .MaximumLength(1000).SingleLine();
        RuleFor(c => c.Folder).MaximumLength(1000).SingleLine();
        RuleFor(c => c.TargetFolder).MaximumLength(1000).SingleLine();
        RuleFor(c => c.Destination).NotEmpty().When(c => c.Action == "move").OverridePropertyName("folder")
            .WithMessage("folder is required for move: the destination folder.");
    }
}

/// <summary>
/// Applies one action to messages from any number of folders, folder by folder, with UID commands (STORE, MOVE,
/// UID EXPUNGE). Ids that do not (or no longer) resolve are reported in <c>failed</c>; nothing else is touched.
/// <c>mark_spam</c> moves into Junk and <c>not_spam</c> out of Junk into the inbox: the same IMAP moves an IMAP client
/// makes, so Dovecot's imapsieve trains rspamd from both alike (docs/adr/0035).
/// </summary>
internal sealed class ApplyActionHandler(ICurrentUser caller, IImapSessions sessions, IMessageLocator locator)
    : ICommandHandler<ApplyActionCommand, Result<ApplyActionResponse>>
{
    public async ValueTask<Result<ApplyActionResponse>> Handle(ApplyActionCommand command, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        var action = command.Action!;
        var ids = command.Ids!.Distinct(StringComparer.Ordinal).ToList();
        return await sessions.RunAsync<Result<ApplyActionResponse>>(mailbox.Value, async (session, ct) =>
        {
            var failed = new List<string>();
            IMailFolder? target = null;
            if (command.Destination is { } destination)
            {
                target = await session.FindFolderAsync(destination, ct);
                if (target is null)
                {
                    return Error.NotFound($"Folder '{destination}' not found.");
                }
            }

            var locations = await locator.LocateAsync(session, ids, command.FolderHint, ct);
            failed.AddRange(ids.Where(id => !locations.ContainsKey(id)));
            var located = ids.Where(locations.ContainsKey).Select(id => (Id: id, Location: locations[id])).ToList();

            var trash = action == "delete" ? session.Special(SpecialFolder.Trash) : null;
            if (action is "mark_spam" or "not_spam")
            {
                target = action == "mark_spam" ? session.Special(SpecialFolder.Junk) : session.Inbox;
                if (target is null)
                {
                    return Error.NotFound("This mailbox has no Junk folder.");
                }
            }

            var processed = 0;
            foreach (var group in located.GroupBy(l => (l.Location.Folder, l.Location.UidValidity)))
            {
                var folder = await session.OpenMessageFolderAsync(group.First().Location, FolderAccess.ReadWrite, ct);
                if (folder is null)
                {
                    failed.AddRange(group.Select(g => g.Id));
                    continue;
                }

                // Only UIDs that still exist are acted on and counted.
                var asked = group.Select(g => g.Location.UniqueId).ToList();
                var existing = (await folder.SearchAsync(SearchQuery.Uids(asked), ct)).Select(u => u.Id).ToHashSet();
                failed.AddRange(group.Where(g => !existing.Contains(g.Location.Uid)).Select(g => g.Id));
                var uids = asked.Where(u => existing.Contains(u.Id)).ToList();
                if (uids.Count == 0)
                {
                    continue;
                }

                await ApplyAsync(action, session, folder, uids, target, trash, ct);
                processed += uids.Count;
            }

            var failedInOrder = ids.Where(failed.Contains).ToList();
            return new ApplyActionResponse(failedInOrder.Count == 0, action, processed, ids.Count, failedInOrder);
        }, cancellationToken);
    }

    private static async Task ApplyAsync(
        string action, IMailboxSession session, IMailFolder folder, IList<UniqueId> uids, IMailFolder? target, IMailFolder? trash, CancellationToken ct)
    {
        switch (action)
        {
            case "mark_read":
                await folder.AddFlagsAsync(uids, MessageFlags.Seen, true, ct);
                break;
            case "mark_unread":
                await folder.RemoveFlagsAsync(uids, MessageFlags.Seen, true, ct);
                break;
            case "star":
                await folder.AddFlagsAsync(uids, MessageFlags.Flagged, true, ct);
                break;
            case "unstar":
                await folder.RemoveFlagsAsync(uids, MessageFlags.Flagged, true, ct);
                break;
            case "move" or "mark_spam" or "not_spam" when !IsSame(folder, target!):
                await session.MoveAsync(folder, uids, target!, ct);
                break;
            case "delete" when trash is null || IsSame(folder, trash):
                // Already in Trash (or no Trash at all): delete for good, only these UIDs (UID EXPUNGE, UIDPLUS).
                await folder.AddFlagsAsync(uids, MessageFlags.Deleted, true, ct);
                await folder.ExpungeAsync(uids, ct);
                break;
            case "delete":
                await session.MoveAsync(folder, uids, trash, ct);
                break;
        }
    }

    private static bool IsSame(IMailFolder a, IMailFolder b) => string.Equals(a.FullName, b.FullName, StringComparison.Ordinal);
}

public sealed class ApplyActionEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/email/actions", async (ApplyActionCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToOk()).RequireAuthorization().WithTags("Mail").WithName("ApplyAction").Returns<ApplyActionResponse>().Fails(403, 404);
    }
}

using System.ComponentModel;
using Fayvad.Mail.Contracts;
using Carter;
using FluentValidation;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.GetChanges;

/// <summary><paramref name="Since"/>: a state from a list response or an earlier call; null asks only for the current state.</summary>
internal sealed record GetChangesQuery(string Folder, string? Since, int Limit) : IQuery<Result<ChangesResponse>>;

internal sealed record ChangesResponse(
    string Folder, string State, IReadOnlyList<MessageDto> Created, IReadOnlyList<MessageFlagsDto> Updated, IReadOnlyList<string> Deleted, bool HasMore);

internal sealed class GetChangesValidator : AbstractValidator<GetChangesQuery>
{
    public GetChangesValidator()
    {
        RuleFor(q => q.Folder).NotEmpty().MaximumLength(1000);
        RuleFor(q => q.Since).Must(s => s is null || SyncState.TryDecode(s, out _))
            .WithMessage("since must be a state returned by this API.");
        RuleFor(q => q.Limit).InclusiveBetween(1, Paging.MaxLimit).WithMessage($"limit must be between 1 and {Paging.MaxLimit}.");
    }
}

internal sealed class GetChangesHandler(ICurrentUser caller, IImapSessions sessions) : IQueryHandler<GetChangesQuery, Result<ChangesResponse>>
{
    public async ValueTask<Result<ChangesResponse>> Handle(GetChangesQuery query, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<ChangesResponse>(caller, async (session, ct) =>
        {
            var folder = await session.FindFolderAsync(query.Folder, ct);
            if (folder is null)
            {
                return Error.NotFound($"Folder '{query.Folder}' not found.");
            }

            await session.OpenAsync(folder, FolderAccess.ReadOnly, ct);
            if (query.Since is null)
            {
                return new ChangesResponse(folder.FullName, folder.SyncState().Encode(), [], [], [], false);
            }

            SyncState.TryDecode(query.Since, out var since);
            if (since.UidValidity != folder.UidValidity)
            {
                return Error.Gone("The folder was recreated since that state (UIDVALIDITY changed); list it again.");
            }

            var delta = await FolderDeltas.SinceAsync(folder, since.UidNext, since.HighestModSeq, query.Limit, ct);
            var state = new SyncState(delta.UidValidity, delta.HighestModSeq, delta.UidNext);
            return new ChangesResponse(
                folder.FullName,
                state.Encode(),
                delta.Created.Select(s => MessageMapper.ToDto(s, folder.FullName, folder.UidValidity, null, null)).ToList(),
                delta.Updated.Select(s => MessageMapper.FlagsOf(s, folder.FullName, folder.UidValidity)).ToList(),
                delta.Vanished.Select(u => MessageIds.Encode(folder.FullName, folder.UidValidity, u.Id)).ToList(),
                delta.HasMore);
        }, cancellationToken);
}

public sealed class GetChangesEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/changes", async (
            [FromQuery(Name = "folder"), Description("Folder path or common name."), DefaultValue("INBOX")] string? folder,
            [FromQuery(Name = "since"), Description("The state token of an earlier list or changes answer; absent for a full state.")] string? since,
            [FromQuery(Name = "limit"), Description("Most changes in one answer."), DefaultValue(typeof(WholeNumber), Paging.MaxLimitText),
             System.ComponentModel.DataAnnotations.Range(1, Paging.MaxLimit)] WholeNumber? limit,
            ISender sender, CancellationToken ct) =>
        {
            var query = new GetChangesQuery(folder.Trimmed() ?? Folders.Inbox, since.Trimmed(), limit.AsInt() ?? Paging.MaxLimit);
            return (await sender.Send(query, ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("GetChanges").Returns<ChangesResponse>().Fails(403, 404, 410);
    }
}

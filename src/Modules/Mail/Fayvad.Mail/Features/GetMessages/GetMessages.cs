using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
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
using MailKit.Search;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.GetMessages;

/// <summary><paramref name="Sort"/>: "arrival" (default, newest into the folder first) or "date" (Date header, newest first).</summary>
internal sealed record GetMessagesQuery(string Folder, int Page, int Limit, bool IncludeBody, string Sort = "arrival")
    : IQuery<Result<GetMessagesResponse>>, IPagedRequest;

internal sealed record GetMessagesResponse(IReadOnlyList<MessageDto> Messages, int Total, int Page, int Limit, bool HasNext, bool HasPrev, string Folder, string State);

internal sealed class GetMessagesValidator : AbstractValidator<GetMessagesQuery>
{
    public GetMessagesValidator()
    {
        Include(new PagingRules<GetMessagesQuery>());
        RuleFor(q => q.Folder).NotEmpty().MaximumLength(1000);
        RuleFor(q => q.Sort).Must(s => s is "arrival" or "date").WithMessage("sort must be 'arrival' or 'date'.");
    }
}

internal sealed class GetMessagesHandler(ICurrentUser caller, IImapSessions sessions, MessageCache cache) : IQueryHandler<GetMessagesQuery, Result<GetMessagesResponse>>
{
    public async ValueTask<Result<GetMessagesResponse>> Handle(GetMessagesQuery query, CancellationToken cancellationToken)
    {
        var cached = cache.For(caller.MailboxAddress);
        return await sessions.RunInOwnMailboxAsync<GetMessagesResponse>(caller, async (session, ct) =>
        {
            var folder = await session.FindFolderAsync(query.Folder, ct);
            if (folder is null)
            {
                return Error.NotFound($"Folder '{query.Folder}' not found.");
            }

            // EXAMINE (read-only, so listing can never change a flag), or NOOP when the connection keeps it selected.
            await session.OpenAsync(folder, FolderAccess.ReadOnly, ct);
            // Taken when opened, before the fetch: a change racing with the listing is reported again, never missed.
            var state = folder.SyncState().Encode();
            List<MessageDto> messages;
            int total;
            if (query.Sort == "date")
            {
                var uids = await session.NewestSentFirstAsync(folder, SearchQuery.All, ct);
                messages = await MessageLists.FetchAsync(folder, uids.Skip(query.Skip()).Take(query.Limit).ToList(), query.IncludeBody, cached, ct);
                total = uids.Count;
            }
            else
            {
                messages = await MessageLists.FetchPageAsync(folder, query.Skip(), query.Limit, query.IncludeBody, cached, ct);
                total = folder.Count;
            }

            var result = new Page<MessageDto>(messages, total, query.Page, query.Limit);
            return new GetMessagesResponse(messages, result.Total, result.PageNumber, result.Limit, result.HasNext, result.HasPrev, folder.FullName, state);
        }, cancellationToken);
    }
}

internal sealed class GetMessagesParameters : PageParameters
{
    [FromQuery(Name = "folder"), Description("Folder path or common name (Sent, Spam, Deleted Items...)."), DefaultValue("INBOX")]
    public string? Folder { get; init; }

    [FromQuery(Name = "include_body"), Description("false leaves bodies out of the list."), DefaultValue(typeof(QueryFlag), "true")]
    public QueryFlag? IncludeBody { get; init; }

    [FromQuery(Name = "fields"), Description("summary: the same as include_body=false."), AllowedValues("summary")]
    public string? Fields { get; init; }

    [FromQuery(Name = "sort"), Description("arrival: newest into the folder first; date: by Date header, newest first."), DefaultValue("arrival"),
     AllowedValues("arrival", "date")]
    public string? Sort { get; init; }

    /// <summary>Bodies are in the list by default (the client reads them there); include_body=false or fields=summary drops them.</summary>
    public bool Bodies() => IncludeBody.AsBool() != false && !string.Equals(Fields.Trimmed(), "summary", StringComparison.OrdinalIgnoreCase);
}

public sealed class GetMessagesEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages", async Task<IResult> ([AsParameters] GetMessagesParameters parameters, ISender sender, CancellationToken ct) =>
        {
            var query = new GetMessagesQuery(
                parameters.Folder.Trimmed() ?? Folders.Inbox,
                parameters.PageOrFirst(),
                parameters.LimitOrDefault(),
                parameters.Bodies(),
                parameters.Sort.Trimmed()?.ToLowerInvariant() ?? "arrival");
            return (await sender.Send(query, ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("GetMessages").Returns<GetMessagesResponse>().Fails(403, 404);
    }
}

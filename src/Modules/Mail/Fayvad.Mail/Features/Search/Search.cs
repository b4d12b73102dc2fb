using System.ComponentModel;
using Fayvad.Mail.Contracts;
using System.Globalization;
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

namespace Fayvad.Mail.Features.Search;

internal sealed record SearchQueryMessage(
    string? Query,
    string? Folder,
    int Page,
    int Limit,
    bool IncludeBody,
    string? From,
    string? To,
    string? Subject,
    string? Since,
    string? Before,
    bool? Unread,
    bool? Starred,
    bool? HasAttachments) : IQuery<Result<SearchResponse>>, IPagedRequest;

/// <summary>
/// <paramref name="Messages"/> in the list shape; <paramref name="Results"/> and <paramref name="Count"/> are the same
/// page and total in the shape of the client's servers.
/// </summary>
internal sealed record SearchResponse(
    IReadOnlyList<MessageDto> Messages, int Total, int Page, int Limit, bool HasNext, bool HasPrev, string Query)
{
    public IReadOnlyList<SearchResultDto> Results => Messages.Select(SearchResultDto.Of).ToList();

    public int Count => Total;
}

/// <summary>A hit as the client's first server (dc33da3) gave it: <c>from</c> is the sender's name, else the address.</summary>
internal sealed record SearchResultDto(
    string Id, string MessageId, string Subject, string From, DateTimeOffset Date, bool IsRead, bool HasAttachments, string Snippet, string Folder)
{
    public static SearchResultDto Of(MessageDto m) => new(
        m.Id, m.MessageId, m.Subject, string.IsNullOrWhiteSpace(m.SenderName) ? m.Sender : m.SenderName, m.DateReceived, m.IsRead,
        m.HasAttachments, m.Snippet, m.Folder);
}

internal sealed class SearchValidator : AbstractValidator<SearchQueryMessage>
{
    public SearchValidator()
    {
        Include(new PagingRules<SearchQueryMessage>());
        RuleFor(q => q).Must(q => !string.IsNullOrWhiteSpace(q.Query) || q.From is not null || q.To is not null
                || q.Subject is not null || q.Since is not null || q.Before is not null || q.Unread is not null
                || q.Starred is not null || q.HasAttachments is not null)
            .OverridePropertyName("query")
            .WithMessage("query is required (or at least one of from, to, subject, since, before, unread, is_read, starred, has_attachments).");
        RuleFor(q => q.Query).Must(q => q is null || !string.IsNullOrWhiteSpace(q)).WithMessage("query must not be empty.")
            .MaximumLength(500);
        RuleFor(q => q.Since).Must(BeDate!).When(q => q.Since is not null).WithMessage("since must be a date (YYYY-MM-DD) from 1900 to 9998.");
        RuleFor(q => q.Before).Must(BeDate!).When(q => q.Before is not null).WithMessage("before must be a date (YYYY-MM-DD) from 1900 to 9998.");
    }

    /// <summary>A date IMAP can carry once a day either side is added (SINCE is exclusive of the day before): the year 1 or 9999 cannot.</summary>
    internal static bool BeDate(string value) =>
        DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
        && date.Year is >= 1900 and <= 9998;
}

/// <summary>
/// Server-side SEARCH in one folder or all: text goes to IMAP TEXT (headers and body), which Dovecot answers from its
/// full-text index. Results from several folders are merged newest first by arrival.
/// </summary>
internal sealed class SearchHandler(ICurrentUser caller, IImapSessions sessions, MessageCache cache) : IQueryHandler<SearchQueryMessage, Result<SearchResponse>>
{
    public async ValueTask<Result<SearchResponse>> Handle(SearchQueryMessage query, CancellationToken cancellationToken)
    {
        var criteria = BuildCriteria(query);
        var cached = cache.For(caller.MailboxAddress);
        return await sessions.RunInOwnMailboxAsync<SearchResponse>(caller, async (session, ct) =>
        {
            List<IMailFolder> folders;
            if (query.Folder is { } name)
            {
                var folder = await session.FindFolderAsync(name, ct);
                if (folder is null)
                {
                    return Error.NotFound($"Folder '{name}' not found.");
                }

                folders = [folder];
            }
            else
            {
                folders = [.. await session.ListFoldersAsync(StatusItems.None, ct)];
            }

            // Every hit with its arrival time, so hits from several folders sort together.
            var hits = new List<(IMailFolder Folder, UniqueId Uid, DateTimeOffset Arrived)>();
            foreach (var folder in folders)
            {
                await session.OpenAsync(folder, FolderAccess.ReadOnly, ct);
                if (folders.Count == 1)
                {
                    var sorted = await WithAttachmentsAsync(folder, await MessageLists.NewestFirstAsync(folder, criteria, ct), query.HasAttachments, ct);
                    hits.AddRange(sorted.Select(u => (folder, u, DateTimeOffset.MinValue)));
                    continue;
                }

                var uids = await WithAttachmentsAsync(folder, await folder.SearchAsync(criteria, ct), query.HasAttachments, ct);
                if (uids.Count == 0)
                {
                    continue;
                }

                var dates = await folder.FetchAsync(uids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate), ct);
                hits.AddRange(dates.Select(d => (folder, d.UniqueId, d.InternalDate ?? DateTimeOffset.MinValue)));
            }

            var ordered = folders.Count == 1 ? hits : hits.OrderByDescending(h => h.Arrived).ThenByDescending(h => h.Uid.Id).ToList();
            var page = ordered.Skip(query.Skip()).Take(query.Limit).ToList();

            var messages = new List<MessageDto>(page.Count);
            foreach (var group in page.GroupBy(h => h.Folder))
            {
                await session.OpenAsync(group.Key, FolderAccess.ReadOnly, ct);
                messages.AddRange(await MessageLists.FetchAsync(group.Key, group.Select(h => h.Uid).ToList(), query.IncludeBody, cached, ct));
            }

            // Restore the merged order after fetching folder by folder.
            var position = page.Select((h, i) => (Key: MessageIds.Encode(h.Folder.FullName, h.Folder.UidValidity, h.Uid.Id), i))
                .ToDictionary(p => p.Key, p => p.i);
            messages.Sort((a, b) => position[a.Id].CompareTo(position[b.Id]));

            var result = new Page<MessageDto>(messages, ordered.Count, query.Page, query.Limit);
            return new SearchResponse(messages, result.Total, result.PageNumber, result.Limit, result.HasNext, result.HasPrev, query.Query?.Trim() ?? "");
        }, cancellationToken);
    }

    internal static SearchQuery BuildCriteria(SearchQueryMessage q)
    {
        SearchQuery criteria = SearchQuery.All;
        if (!string.IsNullOrWhiteSpace(q.Query))
        {
            // TEXT: subject, addresses (all headers) and body; Dovecot serves it from the fts index.
            criteria = criteria.And(SearchQuery.MessageContains(q.Query.Trim()));
        }

        if (q.From is { } from)
        {
            criteria = criteria.And(SearchQuery.FromContains(from));
        }

        if (q.To is { } to)
        {
            criteria = criteria.And(SearchQuery.ToContains(to));
        }

        if (q.Subject is { } subject)
        {
            criteria = criteria.And(SearchQuery.SubjectContains(subject));
        }

        if (q.Since is { } since)
        {
            criteria = criteria.And(SearchQuery.DeliveredAfter(ParseDate(since).AddDays(-1)));
        }

        if (q.Before is { } before)
        {
            criteria = criteria.And(SearchQuery.DeliveredBefore(ParseDate(before)));
        }

        if (q.Unread is { } unread)
        {
            criteria = criteria.And(unread ? SearchQuery.NotSeen : SearchQuery.Seen);
        }

        if (q.Starred is { } starred)
        {
            criteria = criteria.And(starred ? SearchQuery.Flagged : SearchQuery.NotFlagged);
        }

        return criteria;
    }

    /// <summary>
    /// IMAP has no attachment criterion, and a Content-Type header search is unreliable (a full-text index answers it by
    /// tokens, and signed mail hides its attachments one level down): hits are kept by their BODYSTRUCTURE, the same way
    /// the list's <c>has_attachments</c> is decided.
    /// </summary>
    private static async Task<IList<UniqueId>> WithAttachmentsAsync(IMailFolder folder, IList<UniqueId> uids, bool? wanted, CancellationToken ct)
    {
        if (wanted is not { } want || uids.Count == 0)
        {
            return uids;
        }

        var summaries = (await TolerantFetch.FetchAsync(folder, uids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure), ct)).Summaries;
        var keep = summaries.Where(s => Attachments.List(s).Any(a => !a.Inline) == want).Select(s => s.UniqueId.Id).ToHashSet();
        return uids.Where(u => keep.Contains(u.Id)).ToList();
    }

    private static DateTime ParseDate(string value) =>
        DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Date;
}

internal sealed class SearchParameters : PageParameters
{
    [FromQuery(Name = "q"), Description("Words to find (Dovecot full-text index: subject, addresses, body).")]
    public string? Q { get; init; }

    [FromQuery(Name = "query"), Description("Same as q.")]
    public string? Query { get; init; }

    [FromQuery(Name = "folder"), Description("Only this folder; all folders when absent.")]
    public string? Folder { get; init; }

    [FromQuery(Name = "include_body"), Description("false leaves bodies out."), DefaultValue(typeof(QueryFlag), "true")]
    public QueryFlag? IncludeBody { get; init; }

    [FromQuery(Name = "from"), Description("Sender contains.")]
    public string? From { get; init; }

    [FromQuery(Name = "to"), Description("Recipient contains.")]
    public string? To { get; init; }

    [FromQuery(Name = "subject"), Description("Subject contains.")]
    public string? Subject { get; init; }

    [FromQuery(Name = "since"), Description("On or after this date (YYYY-MM-DD).")]
    public string? Since { get; init; }

    [FromQuery(Name = "before"), Description("Before this date (YYYY-MM-DD).")]
    public string? Before { get; init; }

    [FromQuery(Name = "unread"), Description("Only unread (true) or read (false) messages.")]
    public QueryFlag? Unread { get; init; }

    [FromQuery(Name = "is_read"), Description("The opposite of unread.")]
    public QueryFlag? IsRead { get; init; }

    [FromQuery(Name = "starred"), Description("Only starred (true) or unstarred (false).")]
    public QueryFlag? Starred { get; init; }

    [FromQuery(Name = "has_attachments"), Description("Only messages with (true) or without (false) attachments.")]
    public QueryFlag? HasAttachments { get; init; }
}

public sealed class SearchEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/search", async Task<IResult> ([AsParameters] SearchParameters p, ISender sender, CancellationToken ct) =>
        {
            var message = new SearchQueryMessage(
                // Given but blank is an error (the client's servers said 400), so the raw value goes to the validator.
                p.Query ?? p.Q.Trimmed(),
                p.Folder.Trimmed(),
                p.PageOrFirst(),
                p.LimitOrDefault(),
                p.IncludeBody.AsBool() != false,
                p.From.Trimmed(),
                p.To.Trimmed(),
                p.Subject.Trimmed(),
                p.Since.Trimmed(),
                p.Before.Trimmed(),
                p.Unread.AsBool() ?? !p.IsRead.AsBool(),
                p.Starred.AsBool(),
                p.HasAttachments.AsBool());
            return (await sender.Send(message, ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("Search").Returns<SearchResponse>().Fails(403, 404);
    }
}

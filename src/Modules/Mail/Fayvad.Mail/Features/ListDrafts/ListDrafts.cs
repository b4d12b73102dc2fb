using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Drafts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.ListDrafts;

internal sealed record ListDraftsQuery : IQuery<Result<DraftListDto>>;

internal sealed record DraftListDto(IReadOnlyList<DraftDto> Drafts);

/// <summary>
/// The client's server shape (<c>id</c> an integer; <c>body</c> the HTML when the draft has it, else the text), plus
/// both bodies and the files kept in the draft. A file is downloaded at <c>url</c> (the stored-message route).
/// </summary>
internal sealed record DraftDto(
    long Id,
    IReadOnlyList<string> ToRecipients,
    IReadOnlyList<string> CcRecipients,
    IReadOnlyList<string> BccRecipients,
    string Subject,
    string Body,
    string BodyText,
    string? BodyHtml,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<DraftAttachmentDto> Attachments);

internal sealed record DraftAttachmentDto(string Id, string Filename, string ContentType, long Size, long SizeBytes, string Url);

/// <summary>Newest first. Messages in Drafts without a draft id (saved by another mail client) are not drafts of this API.</summary>
internal sealed class ListDraftsHandler(ICurrentUser caller, IImapSessions sessions) : IQueryHandler<ListDraftsQuery, Result<DraftListDto>>
{
    private const MessageSummaryItems Items = MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size;

    public async ValueTask<Result<DraftListDto>> Handle(ListDraftsQuery query, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<DraftListDto>(caller, async (session, ct) =>
        {
            if (await DraftStore.OpenAsync(session, FolderAccess.ReadOnly, ct) is not { } folder)
            {
                return new DraftListDto([]);
            }

            // A crash mid-save can leave two versions of a draft: the newest (highest UID) is the draft.
            var latest = (await DraftStore.IndexAsync(folder, ct)).ToDictionary(e => e.Value[^1], e => e.Key);
            if (latest.Count == 0)
            {
                return new DraftListDto([]);
            }

            var request = new FetchRequest(Items) { Headers = new HeaderSet([DraftStore.CreatedHeader]) };
            var summaries = (await TolerantFetch.FetchAsync(folder, latest.Keys.ToList(), request, ct)).Summaries.ToList();
            var bodies = await BodyLoader.LoadAsync(folder, summaries, ct);
            var drafts = summaries
                .Select(s => ToDto(latest[s.UniqueId], s, MessageIds.Encode(folder.FullName, folder.UidValidity, s.UniqueId.Id), bodies.GetValueOrDefault(s.UniqueId.Id)))
                .OrderByDescending(d => d.UpdatedAt).ThenByDescending(d => d.Id)
                .ToList();
            return new DraftListDto(drafts);
        }, cancellationToken);

    private static DraftDto ToDto(long id, IMessageSummary summary, string messageId, LoadedBody body)
    {
        var envelope = summary.Envelope ?? new Envelope();
        var updated = envelope.Date ?? summary.InternalDate ?? DateTimeOffset.UnixEpoch;
        var created = summary.Headers?[DraftStore.CreatedHeader] is { } raw
            && DateTimeOffset.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : updated;
        var html = body.Html is null ? null : OutgoingHtml.Sanitize(body.Html);
        var text = body.Text ?? (html is null ? "" : OutgoingHtml.ToText(html));
        var attachments = Attachments.List(summary).Where(a => !a.Inline)
            .Select(a => new DraftAttachmentDto(a.Id, a.Filename, a.ContentType, a.SizeBytes, a.SizeBytes,
                $"{ApiRoutes.Root}/email/messages/{messageId}/attachments/{a.Id}/"))
            .ToList();
        return new DraftDto(id, MessageMapper.Addresses(envelope.To), MessageMapper.Addresses(envelope.Cc), MessageMapper.Addresses(envelope.Bcc),
            envelope.Subject ?? "", html ?? text, text, html, created, updated, attachments);
    }
}

public sealed class ListDraftsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (path, name) in new[] { ("/email/drafts", "ListDrafts"), ("/email/draft", "ListDraftsAlias") })
        {
            app.MapGet(ApiRoutes.Root + path, async (ISender sender, CancellationToken ct) => (await sender.Send(new ListDraftsQuery(), ct)).ToOk())
                .RequireAuthorization().WithTags("Mail").WithName(name).Returns<DraftListDto>().Fails(403);
        }
    }
}

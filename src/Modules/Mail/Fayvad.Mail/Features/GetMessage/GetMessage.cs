using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Features.GetMessage;

/// <param name="Id">The API's id or an RFC Message-ID.</param>
/// <param name="Folder">Where to look first for an RFC Message-ID.</param>
internal sealed record GetMessageQuery(string Id, bool MarkRead, string? Folder = null) : IQuery<Result<MessageDetailDto>>;

internal sealed class GetMessageHandler(
    ICurrentUser caller, IImapSessions sessions, IMessageLocator locator, MessageCache cache, IOptions<MailOptions> options)
    : IQueryHandler<GetMessageQuery, Result<MessageDetailDto>>
{
    private const MessageSummaryItems DetailItems = MessageMapper.SummaryItems | MessageSummaryItems.References;

    private static readonly FetchRequest FlagsRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    public async ValueTask<Result<MessageDetailDto>> Handle(GetMessageQuery query, CancellationToken cancellationToken)
    {
        var access = query.MarkRead ? FolderAccess.ReadWrite : FolderAccess.ReadOnly;
        var cached = cache.For(caller.MailboxAddress);
        return await sessions.RunOnMessageAsync<MessageDetailDto>(caller, locator, query.Id, query.Folder, access, async (folder, location, ct) =>
        {
            // A message's content never changes under its UID: only its flags are fetched again.
            if (cached is { } hit && hit.TryGet<MessageDetailDto>(folder, location.UniqueId.Id, CachedKind.Detail, out var known))
            {
                var current = (await folder.FetchAsync([location.UniqueId], FlagsRequest, ct)).FirstOrDefault();
                if (current is null)
                {
                    return Error.NotFound("Message not found.");
                }

                var flags = current.Flags ?? MessageFlags.None;
                var fresh = known with { IsRead = flags.HasFlag(MessageFlags.Seen), IsStarred = flags.HasFlag(MessageFlags.Flagged) };
                if (query.MarkRead && !fresh.IsRead)
                {
                    await folder.AddFlagsAsync(location.UniqueId, MessageFlags.Seen, true, ct);
                    fresh = fresh with { IsRead = true };
                }

                return fresh;
            }

            var request = MessageMapper.SummaryRequest(DetailItems);
            request.Headers!.Add(AuthenticationResultsReader.HeaderName);
            request.Headers.Add(SpamVerdictReader.StatusHeader);
            request.Headers.Add(SpamVerdictReader.ServerHeader);
            // A message the server cannot give whole is shown with what it gave, as the list shows it (docs/adr/0027).
            var fetched = await TolerantFetch.FetchAsync(folder, [location.UniqueId], request, ct);
            var summary = fetched.Summaries.FirstOrDefault();
            if (summary is null)
            {
                return Error.NotFound("Message not found.");
            }

            var unparsed = new HashSet<uint>();
            // A structure the server could not give or got wrong: MimeKit reads the source instead (as the list does).
            using var source = fetched.Degraded.Count == 0 && SourceStructure.Needed(summary) ? await SourceStructure.LoadAsync(folder, summary.UniqueId, ct) : null;
            var (text, rawHtml, truncated) = fetched.Degraded.Count > 0 ? default
                : source is not null ? source.Body
                : (await BodyLoader.LoadAsync(folder, [summary], ct, unparsed)).GetValueOrDefault(summary.UniqueId.Id);
            var attachments = source?.Attachments ?? Attachments.List(summary);
            var id = MessageIds.Encode(location);
            var (html, remote) = rawHtml is null
                ? (null, false)
                : HtmlCleaner.Clean(rawHtml, cid => attachments.FirstOrDefault(a => a.ContentId == cid) is { } a
                    ? $"{ApiRoutes.Root}/email/messages/{id}/attachments/{a.Id}/"
                    : null);

            var dto = MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, text, html, attachments) with { ParseError = unparsed.Count > 0 || fetched.Flawed(summary.UniqueId.Id), BodyTruncated = truncated };
            if (query.MarkRead && !dto.IsRead)
            {
                await folder.AddFlagsAsync(summary.UniqueId, MessageFlags.Seen, true, ct);
                dto = dto with { IsRead = true };
            }

            var envelope = summary.Envelope ?? new Envelope();
            var (inReplyTo, references, threadCut) = MessageMapper.Thread(envelope, summary.References);
            dto = dto with { HeadersTruncated = dto.HeadersTruncated || threadCut };
            var detail = new MessageDetailDto(
                dto,
                inReplyTo,
                references,
                MessageMapper.Addresses(envelope.ReplyTo),
                remote,
                attachments,
                AuthenticationResultsReader.Read(summary.Headers, options.Value.AuthenticationResults.TrustedServers),
                SpamVerdictReader.Read(summary.Headers, options.Value.AuthenticationResults.TrustedServers));
            if (fetched.Degraded.Count == 0)
            {
                cached?.Set(folder, location.UniqueId.Id, detail with { IsRead = false, IsStarred = false });
            }

            return detail;
        }, cancellationToken);
    }
}

public sealed class GetMessageEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}", async (string id,
            [FromQuery(Name = "mark_read"), Description("true marks the message read."), DefaultValue(typeof(QueryFlag), "false")] QueryFlag? markRead,
            [FromQuery(Name = "folder"), Description(MessageIds.FolderParameter)] string? folder, ISender sender, CancellationToken ct) =>
        {
            var query = new GetMessageQuery(MessageIds.FromPath(id), markRead.AsBool() == true, folder.Trimmed());
            return (await sender.Send(query, ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("GetMessage").Returns<MessageDetailDto>().Fails(403);
    }
}

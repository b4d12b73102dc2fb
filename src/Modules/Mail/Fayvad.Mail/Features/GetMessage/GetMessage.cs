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
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.GetMessage;

internal sealed record GetMessageQuery(string Id, bool MarkRead) : IQuery<Result<MessageDetailDto>>;

internal sealed class GetMessageHandler(ICurrentUser caller, IImapSessions sessions) : IQueryHandler<GetMessageQuery, Result<MessageDetailDto>>
{
    private const MessageSummaryItems DetailItems = MessageMapper.SummaryItems | MessageSummaryItems.References;

    public async ValueTask<Result<MessageDetailDto>> Handle(GetMessageQuery query, CancellationToken cancellationToken)
    {
        var access = query.MarkRead ? FolderAccess.ReadWrite : FolderAccess.ReadOnly;
        return await sessions.RunOnMessageAsync<MessageDetailDto>(caller, query.Id, access, async (folder, location, ct) =>
        {
            var summary = (await folder.FetchAsync([location.UniqueId], new FetchRequest(DetailItems), ct)).FirstOrDefault();
            if (summary is null)
            {
                return Error.NotFound("Message not found.");
            }

            var (text, rawHtml) = (await BodyLoader.LoadAsync(folder, [summary], ct)).GetValueOrDefault(summary.UniqueId.Id);
            var attachments = Attachments.List(summary);
            var (html, remote) = rawHtml is null
                ? (null, false)
                : HtmlCleaner.Clean(rawHtml, cid => attachments.FirstOrDefault(a => a.ContentId == cid) is { } a
                    ? $"{ApiRoutes.Root}/email/messages/{query.Id}/attachments/{a.Id}/"
                    : null);

            var dto = MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, text, html);
            if (query.MarkRead && !dto.IsRead)
            {
                await folder.AddFlagsAsync(summary.UniqueId, MessageFlags.Seen, true, ct);
                dto = dto with { IsRead = true };
            }

            var envelope = summary.Envelope!;
            return new MessageDetailDto(
                dto.Id, dto.Subject, dto.Sender, dto.SenderName, dto.FromDisplay, dto.ToRecipients, dto.CcRecipients,
                dto.BccRecipients, dto.DateReceived, dto.DateSent, dto.IsRead, dto.IsStarred, attachments.Any(a => !a.Inline),
                dto.SizeBytes, dto.BodyText, dto.BodyHtml, dto.Snippet, dto.Folder, dto.MessageId, dto.Uid,
                envelope.InReplyTo is { Length: > 0 } inReplyTo ? $"<{inReplyTo.Trim('<', '>')}>" : null,
                summary.References?.Select(r => $"<{r}>").ToList() ?? [],
                MessageMapper.Addresses(envelope.ReplyTo),
                remote,
                attachments);
        }, cancellationToken);
    }
}

public sealed class GetMessageEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}", async (string id, HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var markRead = request.Query.StringValue("mark_read") is "true" or "1" or "True";
            return (await sender.Send(new GetMessageQuery(id, markRead), ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("GetMessage");
    }
}

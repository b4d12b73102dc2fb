using System.ComponentModel;
using System.Text;
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

namespace Fayvad.Mail.Features.GetMessageBody;

/// <param name="Id">The API's id or an RFC Message-ID; <paramref name="Folder"/> is where to look for the latter first.</param>
internal sealed record GetMessageBodyQuery(string Id, string? Folder = null) : IQuery<Result<Stream>>;

/// <summary>
/// The whole text body, decoded, as UTF-8: the part <c>body_text</c> shows the start of when <c>body_truncated</c> is
/// true (or, for a message with html only, the html source). Fetched as <c>BODY.PEEK[part]</c>, its transfer encoding
/// undone into a buffer (a temporary file past 1 MB, so the IMAP connection is free before a slow client reads), and
/// its charset converted while the response is written: never held whole in memory as text.
/// </summary>
internal sealed class GetMessageBodyHandler(ICurrentUser caller, IImapSessions sessions, IMessageLocator locator)
    : IQueryHandler<GetMessageBodyQuery, Result<Stream>>
{
    private static readonly FetchRequest StructureRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure | MessageSummaryItems.Size)
    {
        Headers = new HeaderSet([SourceStructure.TypeField]),
    };

    private const long InMemoryLimit = 1024 * 1024;

    public async ValueTask<Result<Stream>> Handle(GetMessageBodyQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunOnMessageAsync<Stream>(caller, locator, query.Id, query.Folder, FolderAccess.ReadOnly, async (folder, location, ct) =>
        {
            var summary = (await folder.FetchAsync([location.UniqueId], StructureRequest, ct)).FirstOrDefault();
            if (summary is null)
            {
                return Error.NotFound("Message not found.");
            }

            if (SourceStructure.Needed(summary))
            {
                // The text the list and detail showed the start of, read from the source as they read it.
                using var source = await SourceStructure.LoadAsync(folder, summary.UniqueId, ct);
                if (source is not null)
                {
                    var whole = source.WholeText;
                    return string.IsNullOrEmpty(whole)
                        ? Error.NotFound("This message has no text body.")
                        : new MemoryStream(Encoding.UTF8.GetBytes(whole));
                }
            }

            if ((TextParts.Text(summary) ?? TextParts.Html(summary)) is not { } part || part.Octets == 0)
            {
                // Text outside any part (a multipart's preamble, lines the server read as header): as the list shows it.
                var text = (await BodyLoader.LoadAsync(folder, [summary], ct)).GetValueOrDefault(summary.UniqueId.Id).Text;
                return string.IsNullOrEmpty(text)
                    ? Error.NotFound("This message has no text body.")
                    : new MemoryStream(Encoding.UTF8.GetBytes(text));
            }

            Stream buffer = part.Octets > InMemoryLimit
                ? new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous)
                : new MemoryStream();
            await PartContent.CopyDecodedAsync(folder, summary.UniqueId, part, buffer, ct);
            buffer.Position = 0;
            var encoding = await EncodingOfAsync(buffer, part.ContentType.Charset, ct);
            buffer.Position = 0;
            return encoding.CodePage == Encoding.UTF8.CodePage
                ? buffer
                : Encoding.CreateTranscodingStream(buffer, encoding, new UTF8Encoding(false), leaveOpen: false);
        }, cancellationToken);
    }

    /// <summary>The declared charset; without one (or us-ascii, or one .NET lacks): UTF-8 when every byte is, else the fallback, as the list reads it.</summary>
    private static async Task<Encoding> EncodingOfAsync(Stream decoded, string? charset, CancellationToken cancellationToken)
    {
        var declared = MailParsing.EncodingOf(charset);
        if (declared is not null)
        {
            return declared;
        }

        var utf8 = new UTF8Encoding(false, true).GetDecoder();
        var bytes = new byte[81920];
        var chars = new char[81920];
        try
        {
            for (int n; (n = await decoded.ReadAsync(bytes, cancellationToken)) > 0;)
            {
                utf8.GetChars(bytes, 0, n, chars, 0, flush: false);
            }

            utf8.GetChars(bytes, 0, 0, chars, 0, flush: true);
            return Encoding.UTF8;
        }
        catch (DecoderFallbackException)
        {
            return MailParsing.Fallback;
        }
    }
}

public sealed class GetMessageBodyEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}/body", async Task<IResult> (string id, [FromQuery(Name = "folder"), Description(MessageIds.FolderParameter)] string? folder, HttpResponse response, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetMessageBodyQuery(MessageIds.FromPath(id), folder.Trimmed()), ct)).ToHttp(stream =>
                {
                    // Text only, never rendered: html source included.
                    response.Headers.XContentTypeOptions = "nosniff";
                    response.Headers.ContentSecurityPolicy = "sandbox";
                    return Results.Stream(stream, "text/plain; charset=utf-8");
                }))
            .RequireAuthorization().WithTags("Mail").WithName("GetMessageBody")
            .ReturnsContent(StatusCodes.Status200OK, $"The whole text body, decoded, as UTF-8 text (the html source when the message has no text part). body_text in lists and details holds at most the first {BodyLoader.MaxBodyBytes / 1024} KiB of its part as stored, with body_truncated: true when there is more.", "text/plain")
            .Fails(403);
    }
}

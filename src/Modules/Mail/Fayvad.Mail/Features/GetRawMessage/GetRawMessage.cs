using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using System.Net.Sockets;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Fayvad.Mail.Features.GetRawMessage;

/// <param name="Id">The API's id or an RFC Message-ID; <paramref name="Folder"/> is where to look for the latter first.</param>
internal sealed record GetRawMessageQuery(string Id, string? Folder = null) : IQuery<Result<Stream>>;

/// <summary>
/// The message source exactly as stored, as message/rfc822: <c>BODY.PEEK[]</c>, and where that holds the byte Dovecot
/// puts in place of a NUL, the NULs restored from <c>BINARY.PEEK</c> (docs/adr/0027).
/// </summary>
internal sealed partial class GetRawMessageHandler(
    ICurrentUser caller, IImapSessions sessions, IMessageLocator locator, BinaryFetcher binary, ILogger<GetRawMessageHandler> logger)
    : IQueryHandler<GetRawMessageQuery, Result<Stream>>
{
    private static readonly FetchRequest StructureRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure);

    public async ValueTask<Result<Stream>> Handle(GetRawMessageQuery query, CancellationToken cancellationToken)
    {
        return await sessions.RunOnMessageAsync<Stream>(caller, locator, query.Id, query.Folder, FolderAccess.ReadOnly, async (folder, location, ct) =>
        {
            MemoryStream copy;
            try
            {
                copy = new MemoryStream();
                await using (var source = await folder.GetStreamAsync(location.UniqueId, ct))
                {
                    await source.CopyToAsync(copy, ct);
                }
            }
            catch (MessageNotFoundException)
            {
                return Error.NotFound("Message not found.");
            }

            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).Contains(ExactSource.NulReplacement))
            {
                var structure = (await TolerantFetch.FetchAsync(folder, [location.UniqueId], StructureRequest, ct)).Summaries.FirstOrDefault();
                var parts = ExactSource.PlainLeaves(structure?.Body);
                try
                {
                    var fetched = await binary.FetchAsync(caller.MailboxAddress!, folder.FullName, location.UidValidity, location.UniqueId.Id, ["", .. parts], ct);
                    if (fetched is not null)
                    {
                        copy = new MemoryStream(ExactSource.Merge(copy.ToArray(), fetched, parts));
                    }
                }
                catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException
                                           or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // What the server gave is still the message, with 0x80 where a NUL was: better than no source at all.
                    LogBinaryFailed(logger, ex);
                }
            }

            copy.Position = 0;
            return copy;
        }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "BINARY fetch of a message source failed; serving BODY[] as the server gave it")]
    private static partial void LogBinaryFailed(ILogger logger, Exception exception);
}

/// <summary>Puts back the NUL bytes Dovecot replaced in <c>BODY[]</c>, from <c>BINARY[]</c> where it is the same message.</summary>
internal static class ExactSource
{
    /// <summary>Dovecot's stand-in for a NUL in <c>BODY[]</c> (an 8-bit byte, so it also occurs in ordinary 8-bit text).</summary>
    public const byte NulReplacement = 0x80;

    /// <summary>Leaf parts whose content is stored as it is (no base64 or quoted-printable), so that BINARY[part] equals the stored bytes.</summary>
    public static List<string> PlainLeaves(BodyPart? body) =>
        body is null ? [] : Leaves(body)
            .Where(p => p.ContentTransferEncoding?.ToLowerInvariant() is null or "" or "7bit" or "8bit" or "binary")
            .Where(p => p.Octets > 0)
            .Select(p => string.IsNullOrEmpty(p.PartSpecifier) ? "1" : p.PartSpecifier)
            .ToList();

    private static IEnumerable<BodyPartBasic> Leaves(BodyPart part) => part switch
    {
        BodyPartMultipart multipart => multipart.BodyParts.SelectMany(Leaves),
        BodyPartBasic basic => [basic],
        _ => [],
    };

    public static byte[] Merge(byte[] body, IReadOnlyDictionary<string, byte[]> binary, IReadOnlyList<string> parts)
    {
        // A message with no transfer encoding anywhere: BINARY[] is the stored message itself.
        if (binary.TryGetValue("", out var whole) && OnlyNulsDiffer(body, whole))
        {
            return whole;
        }

        // Otherwise BINARY[] decoded some part: put back each plain part's NULs where its bytes sit in BODY[].
        var result = (byte[])body.Clone();
        var cursor = 0;
        foreach (var part in parts)
        {
            if (!binary.TryGetValue(part, out var exact) || exact.Length == 0 || !exact.AsSpan().Contains((byte)0))
            {
                continue;
            }

            var served = exact.Select(b => b == 0 ? NulReplacement : b).ToArray();
            var at = result.AsSpan(cursor).IndexOf(served);
            if (at < 0)
            {
                continue;
            }

            exact.CopyTo(result, cursor + at);
            cursor += at + exact.Length;
        }

        return result;
    }

    private static bool OnlyNulsDiffer(byte[] body, byte[] binary)
    {
        if (body.Length != binary.Length)
        {
            return false;
        }

        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != binary[i] && !(body[i] == NulReplacement && binary[i] == 0))
            {
                return false;
            }
        }

        return true;
    }
}

public sealed class GetRawMessageEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/messages/{id}/raw", async Task<IResult> (string id, [FromQuery(Name = "folder"), Description(MessageIds.FolderParameter)] string? folder, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetRawMessageQuery(MessageIds.FromPath(id), folder.Trimmed()), ct)).ToHttp(stream =>
                    Results.Stream(stream, "message/rfc822", fileDownloadName: "message.eml")))
            .RequireAuthorization().WithTags("Mail").WithName("GetRawMessage").ReturnsContent(StatusCodes.Status200OK, "The message as stored (RFC 5322), as message.eml.", "message/rfc822").Fails(403);
    }
}

using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Results;
using MailKit;

namespace Fayvad.Mail;

internal static class MailboxAccess
{
    /// <summary>Runs IMAP work in the caller's own mailbox; a user without one gets 403.</summary>
    public static async Task<Result<T>> RunInOwnMailboxAsync<T>(
        this IImapSessions sessions, ICurrentUser caller, Func<IMailboxSession, CancellationToken, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        return mailbox.IsSuccess ? await sessions.RunAsync(mailbox.Value, work, cancellationToken) : mailbox.Error;
    }

    /// <summary>
    /// Runs work on the message an id names (the API's id, or an RFC Message-ID looked up from
    /// <paramref name="folderHint"/> on, see <see cref="IMessageLocator"/>), with its folder open; an id that is
    /// malformed, stale (folder recreated) or not in the caller's mailbox is 404.
    /// </summary>
    public static async Task<Result<T>> RunOnMessageAsync<T>(
        this IImapSessions sessions, ICurrentUser caller, IMessageLocator locator, string id, string? folderHint, FolderAccess access,
        Func<IMailFolder, MessageLocation, CancellationToken, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        if (!MessageIds.IsMessageId(id))
        {
            return Error.NotFound("Message not found.");
        }

        return await sessions.RunAsync<Result<T>>(mailbox.Value, async (session, ct) =>
            (await locator.LocateAsync(session, [id], folderHint, ct)).TryGetValue(id, out var location)
            && await session.OpenMessageFolderAsync(location, access, ct) is { } folder
                ? await work(folder, location, ct)
                : Error.NotFound("Message not found."), cancellationToken);
    }
}

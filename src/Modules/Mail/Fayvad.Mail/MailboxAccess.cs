using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;

namespace Fayvad.Mail;

internal static class MailboxAccess
{
    /// <summary>The caller's own mailbox: the only one any mail request may touch.</summary>
    public static Result<string> OwnMailbox(this ICurrentUser user) =>
        user.MailboxAddress is { } address
            ? address
            : Error.Forbidden("This user has no mailbox.");
}

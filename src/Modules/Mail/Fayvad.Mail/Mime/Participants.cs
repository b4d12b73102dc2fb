using Fayvad.Directory.Contracts;
using MimeKit;

namespace Fayvad.Mail.Mime;

/// <summary>Who a message is from (always the caller's own mailbox) and to, as header-safe addresses.</summary>
internal static class Participants
{
    /// <summary>The caller's own address, with the display name of their account or profile.</summary>
    public static async Task<MailboxAddress> SenderAsync(IDirectoryProfiles profiles, long userId, string mailbox, CancellationToken cancellationToken)
    {
        var profile = await profiles.GetProfileAsync(userId, cancellationToken);
        return new MailboxAddress(OutgoingMessage.SingleLine(profile?.EmailAccount?.DisplayName ?? profile?.DisplayName ?? ""), mailbox);
    }

    /// <summary>Addresses already validated (bare, or "Name &lt;address&gt;"); names lose any line break.</summary>
    public static List<MailboxAddress> Parse(IReadOnlyList<string> addresses) =>
        addresses.Select(a => MailboxAddress.Parse(a)).Select(m => new MailboxAddress(OutgoingMessage.SingleLine(m.Name ?? ""), m.Address)).ToList();
}

namespace Fayvad.Mail.Contracts;

/// <summary>Marker for the Mail module's published surface; the module's features arrive with the mail issue.</summary>
public static class MailModuleInfo
{
    public const string Name = "Mail";
}

/// <summary>What the Directory may ask of the mail store (Dovecot's) about the mailboxes it deletes.</summary>
public interface IMailboxStore
{
    /// <summary>
    /// Ends the open IMAP sessions of these mailboxes (new logins are already refused by the Directory's views).
    /// Best effort: false when the mail server could not be asked.
    /// </summary>
    Task<bool> EndSessionsAsync(IReadOnlyCollection<string> addresses, CancellationToken cancellationToken);

    /// <summary>
    /// Removes every message and folder of the mailbox through Dovecot, and the Mail module's own records of it.
    /// Repeatable. Throws <c>DependencyUnavailableException</c> when the mail server cannot do it; nothing is then
    /// claimed removed.
    /// </summary>
    Task RemoveMailboxAsync(string address, CancellationToken cancellationToken);
}

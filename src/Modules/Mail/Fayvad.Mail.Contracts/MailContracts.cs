namespace Fayvad.Mail.Contracts;

/// <summary>Marker for the Mail module's published surface; the module's features arrive with the mail issue.</summary>
public static class MailModuleInfo
{
    public const string Name = "Mail";
}

/// <summary>Whether the mail servers the API depends on answer, for the admin health page.</summary>
public interface IMailServerStatus
{
    /// <summary>Opens (and closes) a connection to each server; never throws for an unreachable one.</summary>
    Task<MailServerReachability> CheckAsync(CancellationToken cancellationToken);
}

public sealed record MailServerReachability(bool ImapReachable, bool SmtpReachable);

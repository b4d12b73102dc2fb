using MailKit.Security;

namespace Fayvad.Mail;

/// <summary>Bound from configuration section "Mail"; the master password comes from the environment, never the repository.</summary>
internal sealed class MailOptions
{
    public ImapOptions Imap { get; set; } = new();
    public SmtpOptions Smtp { get; set; } = new();
}

internal sealed class ImapOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 143;
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    /// <summary>Dovecot master user: the API logs in as "user*MasterUser" and so works only inside that user's mailbox.</summary>
    public string MasterUser { get; set; } = "";

    public string MasterPassword { get; set; } = "";
    public string MasterSeparator { get; set; } = "*";

    /// <summary>Below Dovecot's mail_max_userip_connections, so a burst never locks the user out of their own phone.</summary>
    public int MaxConnectionsPerUser { get; set; } = 4;

    public int MaxConnections { get; set; } = 200;
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A connection idle longer than this is checked with NOOP before it is handed out again.</summary>
    public TimeSpan HealthCheckAfter { get; set; } = TimeSpan.FromSeconds(20);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

internal sealed class SmtpOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The submission port (587 style): authenticated, sender-checked.</summary>
    public int Port { get; set; } = 587;

    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;
    public long MaxMessageBytes { get; set; } = 25 * 1024 * 1024;
}

using MailKit.Security;

namespace Fayvad.Mail;

/// <summary>Bound from configuration section "Mail"; the master password comes from the environment, never the repository.</summary>
internal sealed class MailOptions
{
    /// <summary>The upload size limit unless Mail:Uploads:MaxFileBytes says otherwise (the OpenAPI document states it).</summary>
    public const long DefaultMaxUploadBytes = 18 * 1024 * 1024;

    public ImapOptions Imap { get; set; } = new();
    public SmtpOptions Smtp { get; set; } = new();
    public UploadOptions Uploads { get; set; } = new();
    public DoveadmOptions Doveadm { get; set; } = new();
    public CacheOptions Cache { get; set; } = new();
    public AuthenticationResultsOptions AuthenticationResults { get; set; } = new();
}

/// <summary>Whose Authentication-Results the message detail shows (docs/adr/0019).</summary>
internal sealed class AuthenticationResultsOptions
{
    /// <summary>The authserv-ids of the servers that receive this domain's mail. Empty: the topmost header is taken.</summary>
    public List<string> TrustedServers { get; set; } = [];
}

internal sealed class CacheOptions
{
    /// <summary>
    /// Estimated bytes of parsed, sanitized messages kept in memory (Imap.MessageCache, docs/adr/0020); 0 turns the
    /// cache off. The default keeps the whole process within about 250 MB resident under the bench's load.
    /// </summary>
    public int MessageCacheMegabytes { get; set; } = 48;
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

    /// <summary>
    /// Postfix's message_size_limit: the whole message as submitted, attachments base64-encoded. A send whose
    /// encoded size would pass it is refused with 413 before anything is submitted.
    /// </summary>
    public long MaxMessageBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>
    /// How long an Idempotency-Key claim belongs to the send that made it. A send gives up (503, nothing recorded)
    /// before its lease ends, so a retry after the lease can take over a claim whose process died (docs/adr/0016).
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Submissions this node runs at once; more wait up to <see cref="SubmissionWait"/>, then 503.</summary>
    public int MaxConcurrentSubmissions { get; set; } = 16;

    public TimeSpan SubmissionWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connect, greeting, EHLO and AUTH together. Postfix answers in milliseconds; a server that is down or cannot
    /// authenticate (Dovecot gone) may accept the connection and say nothing, which must be a quick 503, not a hang.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(4);
}

internal sealed class UploadOptions
{
    /// <summary>
    /// Largest single upload: 18 MiB, which base64-encodes to about 24.6 MiB and so still fits, with a body, in
    /// Postfix's 25 MiB message_size_limit.
    /// </summary>
    public long MaxFileBytes { get; set; } = MailOptions.DefaultMaxUploadBytes;

    /// <summary>An upload not used by a send or a draft save for this long is removed.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the janitor looks for expired uploads.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Dovecot's doveadm HTTP API (loopback), used to end sessions of deleted mailboxes and purge their mail.</summary>
internal sealed class DoveadmOptions
{
    /// <summary>e.g. http://127.0.0.1:10190/doveadm/v1; empty means not configured.</summary>
    public string Url { get; set; } = "";

    /// <summary>Dovecot's doveadm_api_key; from the environment, never the repository.</summary>
    public string ApiKey { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);
}

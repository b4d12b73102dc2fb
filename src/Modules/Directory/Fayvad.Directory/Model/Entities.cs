using Fayvad.Directory.Contracts;

namespace Fayvad.Directory.Model;

internal enum OrganizationStatus
{
    Active,
    Disabled,
}

/// <summary>
/// A row an admin deleted: hidden from every normal read (a global query filter), refused by the mail server's views,
/// restorable until <see cref="PurgeAfter"/>, then purged with its mail. Rows deleted together share DeletedAt.
/// </summary>
internal interface ISoftDeletable
{
    DateTimeOffset? DeletedAt { get; set; }
    DateTimeOffset? PurgeAfter { get; set; }
}

internal sealed class Organization : ISoftDeletable
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public OrganizationStatus Status { get; set; } = OrganizationStatus.Active;

    /// <summary>0 means no limit.</summary>
    public int MaxAccounts { get; set; }

    /// <summary>0 means no limit.</summary>
    public int TotalQuotaMb { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public DateTimeOffset? PurgeAfter { get; set; }
    public List<MailDomain> Domains { get; } = [];
}

internal sealed class MailDomain : ISoftDeletable
{
    public long Id { get; set; }
    public long OrganizationId { get; set; }
    public Organization Organization { get; set; } = null!;
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    public int DefaultMailboxQuotaMb { get; set; }

    /// <summary>0 means no limit beyond the organization's.</summary>
    public int TotalQuotaMb { get; set; }

    /// <summary>OpenDKIM signs this domain's mail while true, the domain is enabled and a key's record was seen (docs/adr/0019).</summary>
    public bool DkimEnabled { get; set; }

    /// <summary>clamav-milter scans this domain's inbound mail (docs/adr/0035). On by default, as in the client's model.</summary>
    public bool Antivirus { get; set; } = true;

    /// <summary>rspamd scores this domain's inbound mail and spam is filed into Junk (docs/adr/0035).</summary>
    public bool Antispam { get; set; }

    /// <summary>Recipients the domain's mailboxes may send to in any hour, all together; 0 means no limit (docs/adr/0036).</summary>
    public int MessageLimit { get; set; }

    /// <summary>"domain" (hosts mailboxes and aliases) or "aliasdomain" (answers for <see cref="AliasTarget"/>).</summary>
    public string Type { get; set; } = DomainTypes.Hosted;

    /// <summary>For an alias domain: the domain whose addresses it answers for (same organization).</summary>
    public long? AliasTargetId { get; set; }

    public MailDomain? AliasTarget { get; set; }

    /// <summary>The rspamd score from which a message is spam (the client's integer, 1 to 10; default 5).</summary>
    public int SpamThreshold { get; set; } = DefaultSpamThreshold;

    public const int DefaultSpamThreshold = 5;
    public const int MinSpamThreshold = 1;
    public const int MaxSpamThreshold = 10;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public DateTimeOffset? PurgeAfter { get; set; }
    public List<EmailAccount> Accounts { get; } = [];
    public List<DkimKey> DkimKeys { get; } = [];
    public List<MailAlias> Aliases { get; } = [];
    public List<SenderRule> SenderRules { get; } = [];
}

internal static class DomainTypes
{
    public const string Hosted = "domain";
    public const string Alias = "aliasdomain";
    public const string Relay = "relaydomain";
}

/// <summary>
/// An address at one of the organization's domains that delivers to other addresses (mailboxes, aliases, outside
/// addresses); with an empty local part (address "@domain") it is the domain's catch-all (docs/adr/0034).
/// </summary>
internal sealed class MailAlias : ISoftDeletable
{
    public long Id { get; set; }
    public long DomainId { get; set; }
    public MailDomain Domain { get; set; } = null!;

    /// <summary>"" for the catch-all.</summary>
    public required string LocalPart { get; set; }

    /// <summary>local_part@domain (or @domain), lower case; unique across the platform.</summary>
    public required string Address { get; set; }

    /// <summary>Lower-case addresses, in the order given.</summary>
    public List<string> Recipients { get; set; } = [];

    public bool Enabled { get; set; } = true;

    /// <summary>Refuses mail from anyone but an authenticated mailbox of the same organization.</summary>
    public bool InternalOnly { get; set; }

    /// <summary>Past this instant the alias answers 550 like an unknown address.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public string Description { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>A deleted alias answers like an unknown address and can be restored until <see cref="PurgeAfter"/>.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    public DateTimeOffset? PurgeAfter { get; set; }

    public bool IsCatchAll => LocalPart.Length == 0;
}

internal enum SenderRuleAction
{
    /// <summary>Mail from this sender is never filed as spam for the domain.</summary>
    Allow,

    /// <summary>Mail from this sender is always filed as spam (Junk) for the domain.</summary>
    Block,
}

/// <summary>
/// A domain admin's allow or block list entry (docs/adr/0035): a sender address, or <c>@domain</c> for a whole domain.
/// rspamd reads them through the view <c>directory.spam_sender_rules</c>.
/// </summary>
internal sealed class SenderRule
{
    public long Id { get; set; }
    public long DomainId { get; set; }
    public required string Sender { get; set; }
    public SenderRuleAction Action { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal enum DkimKeyState
{
    /// <summary>Published in dns/ but not signing: no check has seen its record yet.</summary>
    Pending,

    /// <summary>The key OpenDKIM signs with (one per domain).</summary>
    Active,

    /// <summary>Replaced by a newer key; still listed in dns/ until <see cref="DkimKey.RetiredAt"/> + the overlap.</summary>
    Retired,
}

/// <summary>A domain's DKIM key pair. The private key is read only by the API and, through a view, by the signer.</summary>
internal sealed class DkimKey
{
    public long Id { get; set; }
    public long DomainId { get; set; }
    public MailDomain Domain { get; set; } = null!;
    public required string Selector { get; set; }

    /// <summary>PKCS#1 PEM, as OpenDKIM's KeyTable takes it.</summary>
    public required string PrivateKey { get; set; }

    /// <summary>Base64 SubjectPublicKeyInfo: the p= of the TXT record.</summary>
    public required string PublicKey { get; set; }

    public DkimKeyState State { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>The last DNS check of a domain, as the check route answered it.</summary>
internal sealed class DomainDnsCheck
{
    public long DomainId { get; set; }
    public DateTimeOffset CheckedAt { get; set; }

    /// <summary>ok, problems or unreachable.</summary>
    public required string Status { get; set; }

    /// <summary>The per-record results (JSON array).</summary>
    public required string Records { get; set; }
}

internal sealed class User : ISoftDeletable
{
    public long Id { get; set; }

    /// <summary>The login name, lower case; for a mailbox user it is the mailbox address.</summary>
    public required string Username { get; set; }

    public required string Email { get; set; }
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public UserRole Role { get; set; }
    public long? OrganizationId { get; set; }
    public Organization? Organization { get; set; }

    /// <summary>A scheme-tagged hash Dovecot verifies directly, e.g. {BLF-CRYPT}$2y$...</summary>
    public required string PasswordHash { get; set; }

    public bool IsActive { get; set; } = true;

    /// <summary>Profile fields the Django client keeps; "" when not given.</summary>
    public string PhoneNumber { get; set; } = "";

    public string SecondaryEmail { get; set; } = "";
    public string Language { get; set; } = ProfileRules.DefaultLanguage;

    /// <summary>Always false while the server offers no second factor; kept so the setting has a home when it does.</summary>
    public bool TfaEnabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastLoginAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public DateTimeOffset? PurgeAfter { get; set; }
    public EmailAccount? EmailAccount { get; set; }
}

internal sealed class EmailAccount : ISoftDeletable
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public User User { get; set; } = null!;
    public long DomainId { get; set; }
    public MailDomain Domain { get; set; } = null!;
    public required string LocalPart { get; set; }

    /// <summary>local_part@domain, lower case; unique across the platform.</summary>
    public required string Address { get; set; }

    /// <summary>
    /// Dovecot's home of the mailbox, relative to the mail root: set once at creation (<see cref="MailHomes.New"/>),
    /// never derived from the address again, so no address names a path inside another mailbox (docs/adr/0006).
    /// </summary>
    public required string MailHome { get; init; }

    public string DisplayName { get; set; } = "";
    public int QuotaMb { get; set; }

    /// <summary>Recipients the mailbox may send to in any hour; 0 means no limit of its own (docs/adr/0036).</summary>
    public int MessageLimit { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Where the mailbox's mail is forwarded to (lower-case addresses); empty: no forward.</summary>
    public List<string> ForwardTo { get; set; } = [];

    /// <summary>With a forward: whether the mailbox keeps a copy too.</summary>
    public bool ForwardKeepCopy { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public DateTimeOffset? PurgeAfter { get; set; }
}

/// <summary>Where new mailboxes live under the mail root.</summary>
internal static class MailHomes
{
    /// <summary>
    /// <c>&lt;domain&gt;/@&lt;random id&gt;</c>: one path component under the domain's folder, so two homes never nest, and
    /// starting with @, which no local part holds, so it never meets a home of the older <c>&lt;domain&gt;/&lt;local
    /// part&gt;</c> layout either. The domain keeps one organization's mail together for backups.
    /// </summary>
    public static string New(string domainName) => $"{domainName}/@{Guid.NewGuid():N}";
}

/// <summary>Written by Dovecot's quota plugin (one row per mailbox address); read-only to the API.</summary>
internal sealed class MailboxUsage
{
    public required string Email { get; set; }
    public long Bytes { get; set; }
    public long Messages { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

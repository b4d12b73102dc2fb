using Fayvad.Shared.Results;

namespace Fayvad.Directory.Contracts;

/// <summary>Serialized snake_case: "user", "org_admin", "superadmin".</summary>
public enum UserRole
{
    User,
    OrgAdmin,
    Superadmin,
}

/// <summary>Who a user is, as far as authentication and authorization care.</summary>
public sealed record DirectoryPrincipal(
    long UserId,
    string Username,
    UserRole Role,
    long? OrganizationId,
    string? MailboxAddress);

/// <summary>Credential checks the Identity module may ask of the Directory, which owns users and passwords.</summary>
public interface IDirectoryAuthentication
{
    /// <summary>The principal when the password is right and the user (and its mailbox, domain, organization) is enabled; otherwise null.</summary>
    Task<DirectoryPrincipal?> VerifyCredentialsAsync(string username, string password, CancellationToken cancellationToken);

    /// <summary>Null once the user, or anything it depends on, is disabled or deleted: access ends at once.</summary>
    Task<DirectoryPrincipal?> FindActiveAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Of <paramref name="userIds"/>, those <see cref="FindActiveAsync"/> would find: one query for many open event streams.</summary>
    Task<IReadOnlySet<long>> FindActiveIdsAsync(IReadOnlyCollection<long> userIds, CancellationToken cancellationToken);

    Task ChangePasswordAsync(long userId, string newPassword, CancellationToken cancellationToken);
}

public interface IDirectoryProfiles
{
    Task<UserProfile?> GetProfileAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Applies the given (non-null) fields to the user's own profile; a value that cannot be honoured is a validation error naming the field.</summary>
    Task<Result<UserProfile>> UpdateProfileAsync(long userId, ProfileChanges changes, CancellationToken cancellationToken);
}

/// <summary>A user as the client's pages read it (Django's user fields) plus the role, organization and mailbox.</summary>
public sealed record UserProfile(
    long Id,
    string Username,
    string Email,
    string FirstName,
    string LastName,
    string DisplayName,
    UserRole Role,
    bool IsActive,
    string PhoneNumber,
    string SecondaryEmail,
    bool TfaEnabled,
    string Language,
    OrganizationSummary? Organization,
    MailboxInfo? EmailAccount,
    DateTimeOffset DateJoined,
    DateTimeOffset? LastLogin)
{
    /// <summary>Django's flag for admin-site access: any administrator.</summary>
    public bool IsStaff => Role is UserRole.OrgAdmin or UserRole.Superadmin;

    public bool IsSuperuser => Role == UserRole.Superadmin;
}

public sealed record OrganizationRef(long Id, string Name, string Slug);

/// <summary>An organization as a user's profile shows it; <c>DomainName</c> is its first domain, "" when it has none.</summary>
public sealed record OrganizationSummary(long Id, string Name, string Slug, string DomainName);

/// <summary>Fields of a profile to change; null leaves a field as it is, "" clears a text field.</summary>
public sealed record ProfileChanges(
    string? FirstName = null,
    string? LastName = null,
    string? Email = null,
    string? PhoneNumber = null,
    string? SecondaryEmail = null,
    string? Language = null,
    bool? TfaEnabled = null);

/// <summary>Limits of the profile fields, shared by every slice that accepts them.</summary>
public static class ProfileRules
{
    public const int NameMaxLength = 150;
    public const int PhoneNumberMaxLength = 32;
    public const int LanguageMaxLength = 16;
    public const string DefaultLanguage = "en";

    /// <summary>Digits with the usual separators, an optional leading +.</summary>
    public const string PhoneNumberPattern = @"^\+?[0-9][0-9 ()./-]{2,31}$";

    /// <summary>A BCP 47-style tag such as en, sw or pt-br.</summary>
    public const string LanguagePattern = @"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,2}$";
}

/// <summary>An email account's quota and usage; usage is what the mail server last reported.</summary>
public sealed record MailboxInfo(
    long Id,
    string Address,
    string DisplayName,
    int QuotaMb,
    long UsedBytes,
    long UsedMessages,
    bool Enabled);

public static class PasswordRules
{
    public const int MinLength = 8;

    /// <summary>bcrypt reads at most 72 bytes: a longer password would be silently cut, so two differing ones would match.</summary>
    public const int MaxBytes = 72;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why a new password cannot be used, in a user's words; null when it can.</summary>
    public static string? Problem(string? password, string field = "password")
    {
        if (password is null)
        {
            return null;
        }

        if (password.Length < MinLength)
        {
            return $"{field} must be at least {MinLength} characters.";
        }

        if (password.Any(char.IsControl))
        {
            return $"{field} must not contain control characters or line breaks.";
        }

        try
        {
            return StrictUtf8.GetByteCount(password) > MaxBytes
                ? $"{field} must be at most {MaxBytes} bytes (72 plain letters or digits, fewer with accents or symbols)."
                : null;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return $"{field} is not valid text.";
        }
    }
}

/// <summary>An enabled mailbox and the organization it belongs to.</summary>
public sealed record OrganizationMailbox(string Address, long OrganizationId);

/// <summary>Which mailboxes exist, for modules that act on mailboxes without a user's request (e.g. webhook delivery).</summary>
public interface IDirectoryMailboxes
{
    /// <summary>The enabled mailboxes (enabled account, domain and organization) of the given organizations.</summary>
    Task<IReadOnlyList<OrganizationMailbox>> ActiveMailboxesAsync(IReadOnlyCollection<long> organizationIds, CancellationToken cancellationToken);

    Task<bool> OrganizationExistsAsync(long organizationId, CancellationToken cancellationToken);
}

/// <summary>
/// Who may sign in can change (a user, mailbox, domain or organization written): modules that cache the answer of
/// <see cref="IDirectoryAuthentication.FindActiveAsync"/> learn it here, on this node at once and on every node
/// through PostgreSQL's NOTIFY on <see cref="Channel"/>, which the Directory's tables send on commit.
/// </summary>
public interface IDirectoryAccessObserver
{
    void AccessMayHaveChanged();
}

public static class DirectoryAccessChanges
{
    /// <summary>The NOTIFY channel of the Directory's tables (users, email accounts, domains, organizations).</summary>
    public const string Channel = "directory_access_changed";
}

/// <summary>
/// How the submission policy refuses a message over an hourly sending limit (docs/adr/0036): SMTP
/// <c>450 4.7.1 Sending limit reached: … (retry after N s).</c> The API's submitter turns it into a 429.
/// </summary>
public static class SendingLimitReply
{
    public const string Start = "Sending limit reached";

    /// <summary>The seconds the reply names, if it names them.</summary>
    public static TimeSpan? RetryAfter(string reply)
    {
        const string marker = "(retry after ";
        var at = reply.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var digits = reply.AsSpan(at + marker.Length);
        var end = digits.IndexOf(' ');
        return end > 0 && int.TryParse(digits[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }
}

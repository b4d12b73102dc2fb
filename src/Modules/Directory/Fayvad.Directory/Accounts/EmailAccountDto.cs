using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;

namespace Fayvad.Directory.Accounts;

/// <summary>
/// An email account with its user and usage. Carries the Django client's names (<c>email</c>, <c>username</c>,
/// <c>first_name</c>, <c>usage_mb</c>, <c>quota</c> in MB, <c>is_active</c>, ...) beside our own.
/// </summary>
internal sealed record EmailAccountDto(
    long Id,
    string Address,
    string DisplayName,
    string Domain,
    long OrganizationId,
    string OrganizationName,
    long UserId,
    string Username,
    string FirstName,
    string LastName,
    UserRole Role,
    int QuotaMb,
    long UsedBytes,
    long UsedMessages,
    double? UsagePercent,
    bool Enabled,
    DateTimeOffset CreatedAt,
    int MessageLimit)
{
    private const double BytesPerMb = 1024 * 1024;

    /// <summary>The client's name for the address.</summary>
    public string Email => Address;

    /// <summary>The client prints <c>quota</c> followed by "MB".</summary>
    public int Quota => QuotaMb;

    /// <summary>Whole megabytes, rounded to the nearest.</summary>
    public long UsageMb => (long)Math.Round(UsedBytes / BytesPerMb, MidpointRounding.AwayFromZero);

    /// <summary>The client's name for <c>enabled</c>: the mailbox receives mail and its user may log in.</summary>
    public bool IsActive => Enabled;
}

internal static class EmailAccountQueries
{
    public static IQueryable<EmailAccountDto> SelectDto(this IQueryable<EmailAccount> accounts, DirectoryDbContext db) =>
        accounts
            .Select(a => new
            {
                Account = a,
                Usage = db.MailboxUsage.Where(m => m.Email == a.Address).Select(m => new { m.Bytes, m.Messages }).FirstOrDefault(),
            })
            .Select(x => new EmailAccountDto(
                x.Account.Id,
                x.Account.Address,
                x.Account.DisplayName,
                x.Account.Domain.Name,
                x.Account.Domain.OrganizationId,
                x.Account.Domain.Organization.Name,
                x.Account.UserId,
                x.Account.User.Username,
                x.Account.User.FirstName,
                x.Account.User.LastName,
                x.Account.User.Role,
                x.Account.QuotaMb,
                x.Usage == null ? 0 : x.Usage.Bytes,
                x.Usage == null ? 0 : x.Usage.Messages,
                x.Account.QuotaMb == 0 || x.Usage == null
                    ? null
                    : Math.Round(x.Usage.Bytes * 100.0 / (x.Account.QuotaMb * 1048576.0), 2),
                x.Account.Enabled,
                x.Account.CreatedAt,
                x.Account.MessageLimit));
}

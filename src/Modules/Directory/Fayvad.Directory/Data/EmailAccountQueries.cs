using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

internal sealed record EmailAccountDto(
    long Id,
    string Address,
    string DisplayName,
    string Domain,
    long OrganizationId,
    long UserId,
    int QuotaMb,
    long UsedBytes,
    long UsedMessages,
    double? UsagePercent,
    bool Enabled,
    DateTimeOffset CreatedAt);

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
                x.Account.UserId,
                x.Account.QuotaMb,
                x.Usage == null ? 0 : x.Usage.Bytes,
                x.Usage == null ? 0 : x.Usage.Messages,
                x.Account.QuotaMb == 0 || x.Usage == null
                    ? null
                    : Math.Round(x.Usage.Bytes * 100.0 / (x.Account.QuotaMb * 1048576.0), 2),
                x.Account.Enabled,
                x.Account.CreatedAt));
}

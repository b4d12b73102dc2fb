using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

/// <summary>Query shapes over users shared by the contracts and the user list.</summary>
internal static class UserQueries
{
    /// <summary>A user may act only while it, its organization and its mailbox (with its domain) are all enabled.</summary>
    public static IQueryable<User> WhereActive(this IQueryable<User> users) =>
        users.Where(u => u.IsActive
            && (u.Organization == null || u.Organization.Status == OrganizationStatus.Active)
            && (u.EmailAccount == null || (u.EmailAccount.Enabled && u.EmailAccount.Domain.Enabled)));

    public static IQueryable<DirectoryPrincipal> SelectPrincipal(this IQueryable<User> users) =>
        users.Select(u => new DirectoryPrincipal(
            u.Id,
            u.Username,
            u.Role,
            u.OrganizationId,
            u.EmailAccount == null ? null : u.EmailAccount.Address));

    public static IQueryable<UserProfile> SelectProfile(this IQueryable<User> users, DirectoryDbContext db) =>
        users.Select(u => new UserProfile(
            u.Id,
            u.Username,
            u.Email,
            u.FirstName,
            u.LastName,
            u.EmailAccount != null && u.EmailAccount.DisplayName != ""
                ? u.EmailAccount.DisplayName
                : (u.FirstName + " " + u.LastName).Trim(),
            u.Role,
            u.IsActive,
            u.PhoneNumber,
            u.SecondaryEmail,
            u.TfaEnabled,
            u.Language,
            u.Organization == null
                ? null
                : new OrganizationSummary(
                    u.Organization.Id,
                    u.Organization.Name,
                    u.Organization.Slug,
                    u.Organization.Domains.OrderBy(d => d.Id).Select(d => d.Name).FirstOrDefault() ?? ""),
            u.EmailAccount == null
                ? null
                : new MailboxInfo(
                    u.EmailAccount.Id,
                    u.EmailAccount.Address,
                    u.EmailAccount.DisplayName,
                    u.EmailAccount.QuotaMb,
                    db.MailboxUsage.Where(m => m.Email == u.EmailAccount.Address).Select(m => m.Bytes).FirstOrDefault(),
                    db.MailboxUsage.Where(m => m.Email == u.EmailAccount.Address).Select(m => m.Messages).FirstOrDefault(),
                    u.EmailAccount.Enabled),
            u.CreatedAt,
            u.LastLoginAt));
}

using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Fayvad.Directory.Data;

internal sealed class DirectoryDbContext(DbContextOptions<DirectoryDbContext> options) : DbContext(options)
{
    public const string Schema = "directory";

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<MailDomain> Domains => Set<MailDomain>();
    public DbSet<SenderRule> SenderRules => Set<SenderRule>();
    public DbSet<User> Users => Set<User>();
    public DbSet<EmailAccount> EmailAccounts => Set<EmailAccount>();
    public DbSet<MailboxUsage> MailboxUsage => Set<MailboxUsage>();
    public DbSet<DkimKey> DkimKeys => Set<DkimKey>();
    public DbSet<DomainDnsCheck> DnsChecks => Set<DomainDnsCheck>();
    public DbSet<MailAlias> Aliases => Set<MailAlias>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Deleted rows (DeletedAt set) are invisible to every query of every slice: each entity has a global query
        // filter. Only deletion, restore and purge look past it, with IgnoreQueryFilters (docs/adr/0010).
        modelBuilder.HasDefaultSchema(Schema);

        modelBuilder.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.Property(o => o.Name).HasMaxLength(200);
            e.Property(o => o.Slug).HasMaxLength(63);
            e.Property(o => o.Status).HasConversion(s => s == OrganizationStatus.Active ? "active" : "disabled",
                s => s == "active" ? OrganizationStatus.Active : OrganizationStatus.Disabled).HasMaxLength(16);
            e.HasIndex(o => o.Slug).IsUnique();
            e.HasIndex(o => o.Name).IsUnique();
            e.HasQueryFilter(o => o.DeletedAt == null);
            e.ToTable(t =>
            {
                t.HasCheckConstraint("ck_organizations_limits", "max_accounts >= 0 AND total_quota_mb >= 0");
            });
        });

        modelBuilder.Entity<MailDomain>(e =>
        {
            e.ToTable("domains", t =>
            {
                t.HasCheckConstraint("ck_domains_quotas", "default_mailbox_quota_mb >= 0 AND total_quota_mb >= 0");
                t.HasCheckConstraint("ck_domains_type", "(type = 'domain' AND alias_target_id IS NULL) OR (type = 'aliasdomain' AND alias_target_id IS NOT NULL AND alias_target_id <> id)");
                t.HasCheckConstraint("ck_domains_message_limit", "message_limit >= 0");
                t.HasCheckConstraint("ck_domains_spam_threshold",
                    $"spam_threshold BETWEEN {MailDomain.MinSpamThreshold} AND {MailDomain.MaxSpamThreshold}");
            });
            e.Property(d => d.SpamThreshold).HasDefaultValue(MailDomain.DefaultSpamThreshold);
            e.Property(d => d.Name).HasMaxLength(253);
            e.Property(d => d.Type).HasMaxLength(16).HasDefaultValue(DomainTypes.Hosted);
            e.HasIndex(d => d.Name).IsUnique();
            e.HasQueryFilter(d => d.DeletedAt == null);
            // An alias domain goes with the domain it answers for.
            e.HasOne(d => d.AliasTarget).WithMany().HasForeignKey(d => d.AliasTargetId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(d => d.Organization).WithMany(o => o.Domains).HasForeignKey(d => d.OrganizationId)
                .OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SenderRule>(e =>
        {
            e.ToTable("domain_sender_rules");
            e.Property(r => r.Sender).HasMaxLength(320);
            e.Property(r => r.Action).HasConversion(a => a.ToString().ToLowerInvariant(),
                v => v == "block" ? SenderRuleAction.Block : SenderRuleAction.Allow).HasMaxLength(5);
            e.HasIndex(r => new { r.DomainId, r.Sender }).IsUnique();
            e.HasOne<MailDomain>().WithMany(d => d.SenderRules).HasForeignKey(r => r.DomainId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<User>(e =>
        {
            e.ToTable("users");
            e.Property(u => u.Username).HasMaxLength(254);
            e.Property(u => u.Email).HasMaxLength(254);
            e.Property(u => u.FirstName).HasMaxLength(150);
            e.Property(u => u.LastName).HasMaxLength(150);
            e.Property(u => u.PasswordHash).HasMaxLength(255);
            e.Property(u => u.PhoneNumber).HasMaxLength(ProfileRules.PhoneNumberMaxLength).HasDefaultValue("");
            e.Property(u => u.SecondaryEmail).HasMaxLength(254).HasDefaultValue("");
            e.Property(u => u.Language).HasMaxLength(ProfileRules.LanguageMaxLength).HasDefaultValue(ProfileRules.DefaultLanguage);
            e.Property(u => u.TfaEnabled).HasDefaultValue(false);
            e.Property(u => u.Role).HasConversion(r => RoleNames.ToWire(r), s => RoleNames.FromWire(s)).HasMaxLength(16);
            e.HasIndex(u => u.Username).IsUnique();
            e.HasIndex(u => u.OrganizationId);
            e.HasQueryFilter(u => u.DeletedAt == null);
            e.HasOne(u => u.Organization).WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<EmailAccount>(e =>
        {
            e.ToTable("email_accounts", t =>
            {
                t.HasCheckConstraint("ck_email_accounts_quota", "quota_mb >= 0");
                t.HasCheckConstraint("ck_email_accounts_message_limit", "message_limit >= 0");
                // Relative to the mail root, and never climbing out of it.
                t.HasCheckConstraint("ck_email_accounts_mail_home", "mail_home <> '' AND left(mail_home, 1) <> '/' AND strpos(mail_home, '..') = 0");
            });
            e.Property(a => a.LocalPart).HasMaxLength(64);
            e.Property(a => a.Address).HasMaxLength(254);
            e.Property(a => a.DisplayName).HasMaxLength(200);
            // Set once at creation; the migration MailHomes also refuses an UPDATE of it in the database.
            e.Property(a => a.MailHome).HasMaxLength(320).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
            e.HasIndex(a => a.Address).IsUnique();
            e.HasIndex(a => a.MailHome).IsUnique();
            e.HasIndex(a => a.UserId).IsUnique();
            e.Property(a => a.ForwardTo).HasDefaultValueSql("'{}'::text[]");
            e.HasQueryFilter(a => a.DeletedAt == null);
            // The purge job's question: which deleted mailboxes are past their retention.
            e.HasIndex(a => a.PurgeAfter).HasFilter("deleted_at IS NOT NULL");
            e.HasOne(a => a.User).WithOne(u => u.EmailAccount).HasForeignKey<EmailAccount>(a => a.UserId)
                .OnDelete(DeleteBehavior.Cascade);
            e.HasOne(a => a.Domain).WithMany(d => d.Accounts).HasForeignKey(a => a.DomainId)
                .OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<MailAlias>(e =>
        {
            e.ToTable("aliases", t =>
            {
                t.HasCheckConstraint("ck_aliases_address_lower", "address = lower(address)");
                t.HasCheckConstraint("ck_aliases_recipients", "cardinality(recipients) > 0");
            });
            e.Property(a => a.LocalPart).HasMaxLength(64);
            e.Property(a => a.Address).HasMaxLength(254);
            e.Property(a => a.Description).HasMaxLength(200).HasDefaultValue("");
            e.HasIndex(a => a.Address).IsUnique();
            e.HasIndex(a => a.DomainId);
            // A deleted domain's aliases go with it (the view refuses them meanwhile; the purge removes them).
            e.HasQueryFilter(a => a.DeletedAt == null && a.Domain.DeletedAt == null);
            e.HasIndex(a => a.PurgeAfter).HasFilter("deleted_at IS NOT NULL");
            e.Ignore(a => a.IsCatchAll);
            e.HasOne(a => a.Domain).WithMany(d => d.Aliases).HasForeignKey(a => a.DomainId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DkimKey>(e =>
        {
            e.ToTable("dkim_keys");
            e.Property(k => k.Selector).HasMaxLength(63);
            e.Property(k => k.State).HasConversion(s => s.ToString().ToLowerInvariant(),
                s => s == "active" ? DkimKeyState.Active : s == "retired" ? DkimKeyState.Retired : DkimKeyState.Pending).HasMaxLength(16);
            e.HasIndex(k => new { k.DomainId, k.Selector }).IsUnique();
            // One signing key per domain: the signer's view must answer one row.
            e.HasIndex(k => k.DomainId).IsUnique().HasFilter("state = 'active'").HasDatabaseName("ix_dkim_keys_one_active");
            e.HasQueryFilter(k => k.Domain.DeletedAt == null);
            e.HasOne(k => k.Domain).WithMany(d => d.DkimKeys).HasForeignKey(k => k.DomainId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DomainDnsCheck>(e =>
        {
            e.ToTable("domain_dns_checks");
            e.HasKey(c => c.DomainId);
            e.Property(c => c.Status).HasMaxLength(16);
            e.Property(c => c.Records).HasColumnType("jsonb");
            e.HasOne<MailDomain>().WithOne().HasForeignKey<DomainDnsCheck>(c => c.DomainId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<MailboxUsage>(e =>
        {
            e.ToTable("mailbox_usage");
            e.HasKey(u => u.Email);
        });
    }
}

internal static class RoleNames
{
    public static string ToWire(UserRole role) => role switch
    {
        UserRole.Superadmin => "superadmin",
        UserRole.OrgAdmin => "org_admin",
        _ => "user",
    };

    public static UserRole FromWire(string value) => value switch
    {
        "superadmin" => UserRole.Superadmin,
        "org_admin" => UserRole.OrgAdmin,
        _ => UserRole.User,
    };
}

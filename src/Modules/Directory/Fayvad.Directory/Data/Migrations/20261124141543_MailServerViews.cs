using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// The published SQL contract between the Directory and the mail server (Dovecot passdb/userdb, Postfix maps):
    /// read-only views, plus defaults so Dovecot's quota writes may name only the columns it knows.
    /// See docs/adr/0006-mail-server-sql-contract.md.
    /// </summary>
    public partial class MailServerViews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIEW directory.mail_accounts AS
                SELECT a.address AS email,
                       d.name AS domain,
                       u.password_hash AS password,
                       a.quota_mb AS quota_mb,
                       (a.enabled AND d.enabled AND u.is_active AND o.status = 'active') AS active
                FROM directory.email_accounts a
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                JOIN directory.users u ON u.id = a.user_id;

                CREATE VIEW directory.mail_domains AS
                SELECT d.name AS domain,
                       (d.enabled AND o.status = 'active') AS active
                FROM directory.domains d
                JOIN directory.organizations o ON o.id = d.organization_id;

                ALTER TABLE directory.mailbox_usage
                    ALTER COLUMN bytes SET DEFAULT 0,
                    ALTER COLUMN messages SET DEFAULT 0,
                    ALTER COLUMN updated_at SET DEFAULT now();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP VIEW IF EXISTS directory.mail_domains;
                DROP VIEW IF EXISTS directory.mail_accounts;
                ALTER TABLE directory.mailbox_usage
                    ALTER COLUMN bytes DROP DEFAULT,
                    ALTER COLUMN messages DROP DEFAULT,
                    ALTER COLUMN updated_at DROP DEFAULT;
                """);
        }
    }
}

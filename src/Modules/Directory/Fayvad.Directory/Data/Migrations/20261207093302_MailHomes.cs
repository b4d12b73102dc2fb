using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Dovecot's home of each mailbox becomes a column set once at creation (<c>mail_home</c>, relative to the mail
    /// root) instead of <c>%d/%n</c> built from the address, so no address can name a path inside another mailbox's
    /// home and a home never follows a rename. Existing mailboxes get the path they have today (no mail moves); new
    /// ones get <c>&lt;domain&gt;/@&lt;random id&gt;</c>. The view <c>mail_accounts</c> publishes it (docs/adr/0006).
    /// </summary>
    public partial class MailHomes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "mail_home",
                schema: "directory",
                table: "email_accounts",
                type: "character varying(320)",
                maxLength: 320,
                nullable: true);

            // What Dovecot's '%d/%n' made of the (lower-case) address: the domain, then the local part.
            migrationBuilder.Sql("""
                UPDATE directory.email_accounts
                SET mail_home = substring(address from '@([^@]*)$') || '/' || substring(address from '^(.*)@[^@]*$');
                ALTER TABLE directory.email_accounts ALTER COLUMN mail_home SET NOT NULL;
                """);

            migrationBuilder.CreateIndex(
                name: "ix_email_accounts_mail_home",
                schema: "directory",
                table: "email_accounts",
                column: "mail_home",
                unique: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_email_accounts_mail_home",
                schema: "directory",
                table: "email_accounts",
                sql: "mail_home <> '' AND left(mail_home, 1) <> '/' AND strpos(mail_home, '..') = 0");

            migrationBuilder.Sql("""
                -- Where a mailbox's mail is never changes: a new value would leave the mail behind, or point into another's.
                CREATE FUNCTION directory.refuse_mail_home_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'mail_home of mailbox % cannot change (it is where Dovecot keeps its mail)', OLD.address;
                END $$;
                CREATE TRIGGER email_accounts_mail_home_fixed
                  BEFORE UPDATE OF mail_home ON directory.email_accounts
                  FOR EACH ROW WHEN (NEW.mail_home IS DISTINCT FROM OLD.mail_home)
                  EXECUTE FUNCTION directory.refuse_mail_home_change();

                -- A new last column keeps the view's grants (CREATE OR REPLACE).
                CREATE OR REPLACE VIEW directory.mail_accounts AS
                SELECT a.address AS email,
                       d.name AS domain,
                       u.password_hash AS password,
                       a.quota_mb AS quota_mb,
                       (a.enabled AND d.enabled AND u.is_active AND o.status = 'active'
                        AND a.deleted_at IS NULL AND d.deleted_at IS NULL AND u.deleted_at IS NULL AND o.deleted_at IS NULL) AS active,
                       a.mail_home AS mail_home
                FROM directory.email_accounts a
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                JOIN directory.users u ON u.id = a.user_id;
                SELECT directory.grant_mail_server_roles();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Only right while every mail_home is still '<domain>/<local part>': a mailbox made since lives elsewhere.
            migrationBuilder.Sql("""
                DROP VIEW directory.mail_accounts;
                CREATE VIEW directory.mail_accounts AS
                SELECT a.address AS email,
                       d.name AS domain,
                       u.password_hash AS password,
                       a.quota_mb AS quota_mb,
                       (a.enabled AND d.enabled AND u.is_active AND o.status = 'active'
                        AND a.deleted_at IS NULL AND d.deleted_at IS NULL AND u.deleted_at IS NULL AND o.deleted_at IS NULL) AS active
                FROM directory.email_accounts a
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                JOIN directory.users u ON u.id = a.user_id;
                SELECT directory.grant_mail_server_roles();
                DROP TRIGGER email_accounts_mail_home_fixed ON directory.email_accounts;
                DROP FUNCTION directory.refuse_mail_home_change();
                """);

            migrationBuilder.DropIndex(
                name: "ix_email_accounts_mail_home",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropCheckConstraint(
                name: "ck_email_accounts_mail_home",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "mail_home",
                schema: "directory",
                table: "email_accounts");
        }
    }
}

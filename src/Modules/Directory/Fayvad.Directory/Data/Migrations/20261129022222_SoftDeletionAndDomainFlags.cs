using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Deletion that can be undone (docs/adr/0010): deleted_at/purge_after on organizations, domains, users and email
    /// accounts, and the mail server's views refuse deleted rows at once (CREATE OR REPLACE keeps fayvad_mail's grants).
    /// Also the client's per-domain flags dkim_enabled, antivirus, antispam.
    /// </summary>
    public partial class SoftDeletionAndDomainFlags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                schema: "directory",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "purge_after",
                schema: "directory",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                schema: "directory",
                table: "organizations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "purge_after",
                schema: "directory",
                table: "organizations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                schema: "directory",
                table: "email_accounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "purge_after",
                schema: "directory",
                table: "email_accounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "antispam",
                schema: "directory",
                table: "domains",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "antivirus",
                schema: "directory",
                table: "domains",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                schema: "directory",
                table: "domains",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "dkim_enabled",
                schema: "directory",
                table: "domains",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "purge_after",
                schema: "directory",
                table: "domains",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_email_accounts_purge_after",
                schema: "directory",
                table: "email_accounts",
                column: "purge_after",
                filter: "deleted_at IS NOT NULL");

            migrationBuilder.Sql("""
                ALTER TABLE directory.organizations ADD CONSTRAINT ck_organizations_deletion CHECK ((deleted_at IS NULL) = (purge_after IS NULL));
                ALTER TABLE directory.domains ADD CONSTRAINT ck_domains_deletion CHECK ((deleted_at IS NULL) = (purge_after IS NULL));
                ALTER TABLE directory.users ADD CONSTRAINT ck_users_deletion CHECK ((deleted_at IS NULL) = (purge_after IS NULL));
                ALTER TABLE directory.email_accounts ADD CONSTRAINT ck_email_accounts_deletion CHECK ((deleted_at IS NULL) = (purge_after IS NULL));

                CREATE OR REPLACE VIEW directory.mail_accounts AS
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

                CREATE OR REPLACE VIEW directory.mail_domains AS
                SELECT d.name AS domain,
                       (d.enabled AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL) AS active
                FROM directory.domains d
                JOIN directory.organizations o ON o.id = d.organization_id;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE VIEW directory.mail_accounts AS
                SELECT a.address AS email,
                       d.name AS domain,
                       u.password_hash AS password,
                       a.quota_mb AS quota_mb,
                       (a.enabled AND d.enabled AND u.is_active AND o.status = 'active') AS active
                FROM directory.email_accounts a
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                JOIN directory.users u ON u.id = a.user_id;

                CREATE OR REPLACE VIEW directory.mail_domains AS
                SELECT d.name AS domain,
                       (d.enabled AND o.status = 'active') AS active
                FROM directory.domains d
                JOIN directory.organizations o ON o.id = d.organization_id;

                ALTER TABLE directory.organizations DROP CONSTRAINT ck_organizations_deletion;
                ALTER TABLE directory.domains DROP CONSTRAINT ck_domains_deletion;
                ALTER TABLE directory.users DROP CONSTRAINT ck_users_deletion;
                ALTER TABLE directory.email_accounts DROP CONSTRAINT ck_email_accounts_deletion;
                """);

            migrationBuilder.DropIndex(
                name: "ix_email_accounts_purge_after",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                schema: "directory",
                table: "users");

            migrationBuilder.DropColumn(
                name: "purge_after",
                schema: "directory",
                table: "users");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                schema: "directory",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "purge_after",
                schema: "directory",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "purge_after",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "antispam",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "antivirus",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "dkim_enabled",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "purge_after",
                schema: "directory",
                table: "domains");
        }
    }
}

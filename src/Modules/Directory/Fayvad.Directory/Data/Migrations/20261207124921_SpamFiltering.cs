using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Spam and virus filtering per domain (docs/adr/0035): the client's <c>spam_threshold</c> (1 to 10, default 5),
    /// the admins' sender allow and block lists, and the views the filters' map renderer reads as fayvad_mail.
    /// </summary>
    public partial class SpamFiltering : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "spam_threshold",
                schema: "directory",
                table: "domains",
                type: "integer",
                nullable: false,
                defaultValue: 5);

            migrationBuilder.CreateTable(
                name: "domain_sender_rules",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    domain_id = table.Column<long>(type: "bigint", nullable: false),
                    sender = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    action = table.Column<string>(type: "character varying(5)", maxLength: 5, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_domain_sender_rules", x => x.id);
                    table.ForeignKey(
                        name: "fk_domain_sender_rules_domains_domain_id",
                        column: x => x.domain_id,
                        principalSchema: "directory",
                        principalTable: "domains",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.AddCheckConstraint(
                name: "ck_domains_spam_threshold",
                schema: "directory",
                table: "domains",
                sql: "spam_threshold BETWEEN 1 AND 10");

            migrationBuilder.CreateIndex(
                name: "ix_domain_sender_rules_domain_id_sender",
                schema: "directory",
                table: "domain_sender_rules",
                columns: new[] { "domain_id", "sender" },
                unique: true);

            // The spam and virus filters' contract (docs/adr/0035): per live domain its flags and threshold, and its
            // admins' allow and block lists; read by the map renderer as fayvad_mail, like the other mail views.
            migrationBuilder.Sql("""
                CREATE VIEW directory.spam_domains AS
                SELECT d.name AS domain, d.antispam, d.antivirus, d.spam_threshold
                FROM directory.domains d
                WHERE d.deleted_at IS NULL;
                CREATE VIEW directory.spam_sender_rules AS
                SELECT d.name AS domain, r.sender, r.action
                FROM directory.domain_sender_rules r
                JOIN directory.domains d ON d.id = r.domain_id
                WHERE d.deleted_at IS NULL;
                CREATE OR REPLACE FUNCTION directory.grant_mail_server_roles() RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                  -- Dovecot and Postfix: the account and domain views, and the usage table Dovecot's quota writes.
                  -- The spam and virus filters' map renderer (deploy/rspamd/spam-maps.sh) reads the two spam views.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_mail;
                    GRANT SELECT ON directory.mail_accounts, directory.mail_domains TO fayvad_mail;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON directory.mailbox_usage TO fayvad_mail;
                    GRANT SELECT ON directory.spam_domains, directory.spam_sender_rules TO fayvad_mail;
                  ELSE
                    RAISE NOTICE 'role fayvad_mail does not exist: create it, then SELECT directory.grant_mail_server_roles()';
                  END IF;
                  -- OpenDKIM: its one view (private keys of signing domains) and nothing else; fayvad_mail never sees keys.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_dkim') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_dkim;
                    GRANT SELECT ON directory.dkim_signing TO fayvad_dkim;
                  ELSE
                    RAISE NOTICE 'role fayvad_dkim does not exist: create it, then SELECT directory.grant_mail_server_roles()';
                  END IF;
                END $$;
                REVOKE ALL ON FUNCTION directory.grant_mail_server_roles() FROM PUBLIC;
                SELECT directory.grant_mail_server_roles();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP VIEW directory.spam_sender_rules;
                DROP VIEW directory.spam_domains;
                CREATE OR REPLACE FUNCTION directory.grant_mail_server_roles() RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                  -- Dovecot and Postfix: the account and domain views, and the usage table Dovecot's quota writes.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_mail;
                    GRANT SELECT ON directory.mail_accounts, directory.mail_domains TO fayvad_mail;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON directory.mailbox_usage TO fayvad_mail;
                  ELSE
                    RAISE NOTICE 'role fayvad_mail does not exist: create it, then SELECT directory.grant_mail_server_roles()';
                  END IF;
                  -- OpenDKIM: its one view (private keys of signing domains) and nothing else; fayvad_mail never sees keys.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_dkim') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_dkim;
                    GRANT SELECT ON directory.dkim_signing TO fayvad_dkim;
                  ELSE
                    RAISE NOTICE 'role fayvad_dkim does not exist: create it, then SELECT directory.grant_mail_server_roles()';
                  END IF;
                END $$;
                REVOKE ALL ON FUNCTION directory.grant_mail_server_roles() FROM PUBLIC;
                """);

            migrationBuilder.DropTable(
                name: "domain_sender_rules",
                schema: "directory");

            migrationBuilder.DropCheckConstraint(
                name: "ck_domains_spam_threshold",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "spam_threshold",
                schema: "directory",
                table: "domains");
        }
    }
}

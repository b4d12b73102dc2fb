using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Aliases (catch-all included), forwards of a mailbox and alias domains, published to Postfix as one view,
    /// <c>mail_virtual</c> (virtual_alias_maps), plus what the internal-only check reads (docs/adr/0034).
    /// </summary>
    public partial class AliasesForwardsDomainTypes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "forward_keep_copy",
                schema: "directory",
                table: "email_accounts",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "forward_to",
                schema: "directory",
                table: "email_accounts",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.AddColumn<long>(
                name: "alias_target_id",
                schema: "directory",
                table: "domains",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "type",
                schema: "directory",
                table: "domains",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "domain");

            migrationBuilder.CreateTable(
                name: "aliases",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    domain_id = table.Column<long>(type: "bigint", nullable: false),
                    local_part = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    address = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    recipients = table.Column<List<string>>(type: "text[]", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    internal_only = table.Column<bool>(type: "boolean", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    description = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, defaultValue: ""),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_aliases", x => x.id);
                    table.CheckConstraint("ck_aliases_address_lower", "address = lower(address)");
                    table.CheckConstraint("ck_aliases_recipients", "cardinality(recipients) > 0");
                    table.ForeignKey(
                        name: "fk_aliases_domains_domain_id",
                        column: x => x.domain_id,
                        principalSchema: "directory",
                        principalTable: "domains",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_domains_alias_target_id",
                schema: "directory",
                table: "domains",
                column: "alias_target_id");

            migrationBuilder.AddCheckConstraint(
                name: "ck_domains_type",
                schema: "directory",
                table: "domains",
                sql: "(type = 'domain' AND alias_target_id IS NULL) OR (type = 'aliasdomain' AND alias_target_id IS NOT NULL AND alias_target_id <> id)");

            migrationBuilder.CreateIndex(
                name: "ix_aliases_address",
                schema: "directory",
                table: "aliases",
                column: "address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_aliases_domain_id",
                schema: "directory",
                table: "aliases",
                column: "domain_id");

            migrationBuilder.AddForeignKey(
                name: "fk_domains_domains_alias_target_id",
                schema: "directory",
                table: "domains",
                column: "alias_target_id",
                principalSchema: "directory",
                principalTable: "domains",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.Sql(Views);
        }

        /// <summary>
        /// <c>mail_virtual</c>: address -> one row per destination. Every active mailbox answers for itself (so a
        /// catch-all, "@domain", never takes a real address's mail: Postfix tries the full address before "@domain"),
        /// or for its forward targets (and itself when it keeps a copy); enabled, unexpired aliases for their
        /// recipients; an alias domain for each address of its target, so an unknown name there is still a 550 at RCPT.
        /// </summary>
        private const string Views = """
            CREATE VIEW directory.mail_virtual AS
            WITH live_domains AS (
              SELECT d.id, d.name, d.type, d.alias_target_id, d.organization_id
              FROM directory.domains d
              JOIN directory.organizations o ON o.id = d.organization_id
              WHERE d.enabled AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL
            ),
            live_mailboxes AS (
              SELECT a.address, a.domain_id, a.forward_to, a.forward_keep_copy
              FROM directory.email_accounts a
              JOIN directory.users u ON u.id = a.user_id
              WHERE a.enabled AND u.is_active AND a.deleted_at IS NULL AND u.deleted_at IS NULL
            ),
            own AS (
              SELECT m.address, m.address AS goto, m.domain_id FROM live_mailboxes m
              WHERE cardinality(m.forward_to) = 0 OR m.forward_keep_copy
              UNION ALL
              SELECT m.address, f.goto, m.domain_id FROM live_mailboxes m, unnest(m.forward_to) AS f(goto)
              UNION ALL
              SELECT al.address, r.goto, al.domain_id FROM directory.aliases al, unnest(al.recipients) AS r(goto)
              WHERE al.enabled AND (al.expires_at IS NULL OR al.expires_at > now())
            ),
            hosted AS (
              SELECT own.address, own.goto, ld.id AS domain_id, ld.name
              FROM own JOIN live_domains ld ON ld.id = own.domain_id AND ld.type = 'domain'
            )
            SELECT address, goto FROM hosted
            UNION ALL
            SELECT DISTINCT left(h.address, length(h.address) - length(h.name)) || ad.name AS address, h.address AS goto
            FROM hosted h
            JOIN live_domains ad ON ad.alias_target_id = h.domain_id AND ad.type = 'aliasdomain';

            -- Addresses (alias-domain forms too) of enabled internal-only aliases, with their organization.
            CREATE VIEW directory.mail_internal_only AS
            WITH live AS (
              SELECT al.address, d.name AS domain, d.id AS domain_id, d.organization_id
              FROM directory.aliases al
              JOIN directory.domains d ON d.id = al.domain_id
              WHERE al.internal_only AND al.enabled AND d.deleted_at IS NULL
            )
            SELECT live.address, live.organization_id FROM live
            UNION ALL
            SELECT left(live.address, length(live.address) - length(live.domain)) || ad.name, live.organization_id
            FROM live JOIN directory.domains ad ON ad.alias_target_id = live.domain_id AND ad.deleted_at IS NULL;

            -- Which organization each active mailbox belongs to: who counts as inside for an internal-only alias.
            CREATE VIEW directory.mail_organization_members AS
            SELECT email, organization_id FROM (
              SELECT a.address AS email, d.organization_id,
                     (a.enabled AND d.enabled AND u.is_active AND o.status = 'active' AND a.deleted_at IS NULL
                      AND d.deleted_at IS NULL AND u.deleted_at IS NULL AND o.deleted_at IS NULL) AS active
              FROM directory.email_accounts a
              JOIN directory.domains d ON d.id = a.domain_id
              JOIN directory.organizations o ON o.id = d.organization_id
              JOIN directory.users u ON u.id = a.user_id) m
            WHERE m.active;

            CREATE OR REPLACE FUNCTION directory.grant_mail_server_roles() RETURNS void
            LANGUAGE plpgsql AS $$
            BEGIN
              -- Dovecot and Postfix: the account, domain and address views, and the usage table Dovecot's quota writes.
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                GRANT USAGE ON SCHEMA directory TO fayvad_mail;
                GRANT SELECT ON directory.mail_accounts, directory.mail_domains, directory.mail_virtual,
                  directory.mail_internal_only, directory.mail_organization_members TO fayvad_mail;
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
            SELECT directory.grant_mail_server_roles();
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP VIEW directory.mail_virtual;
                DROP VIEW directory.mail_internal_only;
                DROP VIEW directory.mail_organization_members;
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

            migrationBuilder.DropForeignKey(
                name: "fk_domains_domains_alias_target_id",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropTable(
                name: "aliases",
                schema: "directory");

            migrationBuilder.DropIndex(
                name: "ix_domains_alias_target_id",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropCheckConstraint(
                name: "ck_domains_type",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "forward_keep_copy",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "forward_to",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "alias_target_id",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "type",
                schema: "directory",
                table: "domains");
        }
    }
}

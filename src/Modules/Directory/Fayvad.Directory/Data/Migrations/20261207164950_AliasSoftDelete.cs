using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// A deleted alias is kept for the retention time, like mailboxes and domains, and restored by
    /// <c>POST org/aliases/{id}/restore/</c>; the mail server's views leave it out meanwhile (docs/adr/0034).
    /// </summary>
    public partial class AliasSoftDelete : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                schema: "directory",
                table: "aliases",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "purge_after",
                schema: "directory",
                table: "aliases",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_aliases_purge_after",
                schema: "directory",
                table: "aliases",
                column: "purge_after",
                filter: "deleted_at IS NOT NULL");

            migrationBuilder.Sql(Views("AND al.deleted_at IS NULL"));
        }

        /// <summary>The three views that read aliases (as AliasesForwardsDomainTypes and AddressLookupFunction left them), with a filter.</summary>
        private static string Views(string liveAlias) => $"""
            CREATE OR REPLACE VIEW directory.mail_virtual_direct AS
            SELECT a.address, a.address AS goto
            FROM directory.email_accounts a
            JOIN directory.users u ON u.id = a.user_id
            JOIN directory.domains d ON d.id = a.domain_id
            JOIN directory.organizations o ON o.id = d.organization_id
            WHERE a.enabled AND u.is_active AND a.deleted_at IS NULL AND u.deleted_at IS NULL
              AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL
              AND (cardinality(a.forward_to) = 0 OR a.forward_keep_copy)
            UNION ALL
            SELECT a.address, f.goto
            FROM directory.email_accounts a
            CROSS JOIN LATERAL unnest(a.forward_to) AS f(goto)
            JOIN directory.users u ON u.id = a.user_id
            JOIN directory.domains d ON d.id = a.domain_id
            JOIN directory.organizations o ON o.id = d.organization_id
            WHERE a.enabled AND u.is_active AND a.deleted_at IS NULL AND u.deleted_at IS NULL
              AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL
            UNION ALL
            SELECT al.address, r.goto
            FROM directory.aliases al
            CROSS JOIN LATERAL unnest(al.recipients) AS r(goto)
            JOIN directory.domains d ON d.id = al.domain_id
            JOIN directory.organizations o ON o.id = d.organization_id
            WHERE al.enabled AND (al.expires_at IS NULL OR al.expires_at > now()) {liveAlias}
              AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL;

            CREATE OR REPLACE VIEW directory.mail_virtual AS
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
              WHERE al.enabled AND (al.expires_at IS NULL OR al.expires_at > now()) {liveAlias}
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

            CREATE OR REPLACE VIEW directory.mail_internal_only AS
            WITH live AS (
              SELECT al.address, d.name AS domain, d.id AS domain_id, d.organization_id
              FROM directory.aliases al
              JOIN directory.domains d ON d.id = al.domain_id
              WHERE al.internal_only AND al.enabled AND d.deleted_at IS NULL {liveAlias}
            )
            SELECT live.address, live.organization_id FROM live
            UNION ALL
            SELECT left(live.address, length(live.address) - length(live.domain)) || ad.name, live.organization_id
            FROM live JOIN directory.domains ad ON ad.alias_target_id = live.domain_id AND ad.deleted_at IS NULL;
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Deleted aliases would come back to life with the column gone: they go first.
            migrationBuilder.Sql("DELETE FROM directory.aliases WHERE deleted_at IS NOT NULL;" + Views(""));
            migrationBuilder.DropIndex(
                name: "ix_aliases_purge_after",
                schema: "directory",
                table: "aliases");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                schema: "directory",
                table: "aliases");

            migrationBuilder.DropColumn(
                name: "purge_after",
                schema: "directory",
                table: "aliases");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <inheritdoc />
    public partial class DkimKeysAndDnsChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "dkim_keys",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    domain_id = table.Column<long>(type: "bigint", nullable: false),
                    selector = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    private_key = table.Column<string>(type: "text", nullable: false),
                    public_key = table.Column<string>(type: "text", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    activated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dkim_keys", x => x.id);
                    table.ForeignKey(
                        name: "fk_dkim_keys_domains_domain_id",
                        column: x => x.domain_id,
                        principalSchema: "directory",
                        principalTable: "domains",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "domain_dns_checks",
                schema: "directory",
                columns: table => new
                {
                    domain_id = table.Column<long>(type: "bigint", nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    records = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_domain_dns_checks", x => x.domain_id);
                    table.ForeignKey(
                        name: "fk_domain_dns_checks_domains_domain_id",
                        column: x => x.domain_id,
                        principalSchema: "directory",
                        principalTable: "domains",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_dkim_keys_domain_id_selector",
                schema: "directory",
                table: "dkim_keys",
                columns: new[] { "domain_id", "selector" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_dkim_keys_one_active",
                schema: "directory",
                table: "dkim_keys",
                column: "domain_id",
                unique: true,
                filter: "state = 'active'");

            // OpenDKIM's SigningTable (signer -> key_id) and KeyTable (key_id -> domain, selector, private_key), read
            // through OpenDBX as the role fayvad_dkim, which is granted this view only (docs/adr/0019). A domain that is
            // disabled, deleted, has DKIM off, or has no key a check has seen, has no row: its mail goes out unsigned.
            migrationBuilder.Sql("""
                CREATE VIEW directory.dkim_signing AS
                SELECT d.name AS signer,
                       'k' || k.id AS key_id,
                       d.name AS domain,
                       k.selector AS selector,
                       k.private_key AS private_key
                FROM directory.dkim_keys k
                JOIN directory.domains d ON d.id = k.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                WHERE k.state = 'active' AND d.dkim_enabled AND d.enabled AND o.status = 'active'
                  AND d.deleted_at IS NULL AND o.deleted_at IS NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP VIEW IF EXISTS directory.dkim_signing;");

            migrationBuilder.DropTable(
                name: "dkim_keys",
                schema: "directory");

            migrationBuilder.DropTable(
                name: "domain_dns_checks",
                schema: "directory");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialDirectory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "directory");

            migrationBuilder.CreateTable(
                name: "mailbox_usage",
                schema: "directory",
                columns: table => new
                {
                    email = table.Column<string>(type: "text", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    messages = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_mailbox_usage", x => x.email);
                });

            migrationBuilder.CreateTable(
                name: "organizations",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    max_accounts = table.Column<int>(type: "integer", nullable: false),
                    total_quota_mb = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organizations", x => x.id);
                    table.CheckConstraint("ck_organizations_limits", "max_accounts >= 0 AND total_quota_mb >= 0");
                });

            migrationBuilder.CreateTable(
                name: "domains",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    default_mailbox_quota_mb = table.Column<int>(type: "integer", nullable: false),
                    total_quota_mb = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_domains", x => x.id);
                    table.CheckConstraint("ck_domains_quotas", "default_mailbox_quota_mb >= 0 AND total_quota_mb >= 0");
                    table.ForeignKey(
                        name: "fk_domains_organizations_organization_id",
                        column: x => x.organization_id,
                        principalSchema: "directory",
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "users",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    username = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    first_name = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    last_name = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    organization_id = table.Column<long>(type: "bigint", nullable: true),
                    password_hash = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_login_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                    table.ForeignKey(
                        name: "fk_users_organizations_organization_id",
                        column: x => x.organization_id,
                        principalSchema: "directory",
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "email_accounts",
                schema: "directory",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    user_id = table.Column<long>(type: "bigint", nullable: false),
                    domain_id = table.Column<long>(type: "bigint", nullable: false),
                    local_part = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    address = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    quota_mb = table.Column<int>(type: "integer", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_email_accounts", x => x.id);
                    table.CheckConstraint("ck_email_accounts_quota", "quota_mb >= 0");
                    table.ForeignKey(
                        name: "fk_email_accounts_domains_domain_id",
                        column: x => x.domain_id,
                        principalSchema: "directory",
                        principalTable: "domains",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_email_accounts_users_user_id",
                        column: x => x.user_id,
                        principalSchema: "directory",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_domains_name",
                schema: "directory",
                table: "domains",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_domains_organization_id",
                schema: "directory",
                table: "domains",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_email_accounts_address",
                schema: "directory",
                table: "email_accounts",
                column: "address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_email_accounts_domain_id",
                schema: "directory",
                table: "email_accounts",
                column: "domain_id");

            migrationBuilder.CreateIndex(
                name: "ix_email_accounts_user_id",
                schema: "directory",
                table: "email_accounts",
                column: "user_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_organizations_name",
                schema: "directory",
                table: "organizations",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_organizations_slug",
                schema: "directory",
                table: "organizations",
                column: "slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_organization_id",
                schema: "directory",
                table: "users",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_users_username",
                schema: "directory",
                table: "users",
                column: "username",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "email_accounts",
                schema: "directory");

            migrationBuilder.DropTable(
                name: "mailbox_usage",
                schema: "directory");

            migrationBuilder.DropTable(
                name: "domains",
                schema: "directory");

            migrationBuilder.DropTable(
                name: "users",
                schema: "directory");

            migrationBuilder.DropTable(
                name: "organizations",
                schema: "directory");
        }
    }
}

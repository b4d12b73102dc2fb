using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Mail.Data.Migrations
{
    /// <inheritdoc />
    public partial class PushEventsAndWebhooks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "folder_states",
                schema: "mail",
                columns: table => new
                {
                    mailbox = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    folder = table.Column<string>(type: "text", nullable: false),
                    uid_validity = table.Column<long>(type: "bigint", nullable: false),
                    uid_next = table.Column<long>(type: "bigint", nullable: false),
                    highest_mod_seq = table.Column<long>(type: "bigint", nullable: false),
                    messages = table.Column<int>(type: "integer", nullable: false),
                    unseen = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_folder_states", x => new { x.mailbox, x.folder });
                });

            migrationBuilder.CreateTable(
                name: "mailbox_events",
                schema: "mail",
                columns: table => new
                {
                    mailbox = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    folder = table.Column<string>(type: "text", nullable: true),
                    data = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_mailbox_events", x => new { x.mailbox, x.seq });
                });

            migrationBuilder.CreateTable(
                name: "mailbox_streams",
                schema: "mail",
                columns: table => new
                {
                    mailbox = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    organization_id = table.Column<long>(type: "bigint", nullable: true),
                    last_seq = table.Column<long>(type: "bigint", nullable: false),
                    watcher_node = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    watcher_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    synced_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_mailbox_streams", x => x.mailbox);
                });

            migrationBuilder.CreateTable(
                name: "webhooks",
                schema: "mail",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<long>(type: "bigint", nullable: false),
                    url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    events = table.Column<List<string>>(type: "text[]", nullable: false),
                    secret = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false),
                    created_by = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhooks", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                schema: "mail",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    webhook_id = table.Column<long>(type: "bigint", nullable: false),
                    event_id = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    event_type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    payload = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    locked_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_status_code = table.Column<int>(type: "integer", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "fk_webhook_deliveries_webhooks_webhook_id",
                        column: x => x.webhook_id,
                        principalSchema: "mail",
                        principalTable: "webhooks",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_mailbox_events_created_at",
                schema: "mail",
                table: "mailbox_events",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_mailbox_streams_organization_id",
                schema: "mail",
                table: "mailbox_streams",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_status_next_attempt_at",
                schema: "mail",
                table: "webhook_deliveries",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_webhook_id_event_id",
                schema: "mail",
                table: "webhook_deliveries",
                columns: new[] { "webhook_id", "event_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_webhooks_organization_id",
                schema: "mail",
                table: "webhooks",
                column: "organization_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "folder_states",
                schema: "mail");

            migrationBuilder.DropTable(
                name: "mailbox_events",
                schema: "mail");

            migrationBuilder.DropTable(
                name: "mailbox_streams",
                schema: "mail");

            migrationBuilder.DropTable(
                name: "webhook_deliveries",
                schema: "mail");

            migrationBuilder.DropTable(
                name: "webhooks",
                schema: "mail");
        }
    }
}

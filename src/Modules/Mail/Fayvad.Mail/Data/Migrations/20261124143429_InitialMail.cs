using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Mail.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialMail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "mail");

            migrationBuilder.CreateTable(
                name: "sent_records",
                schema: "mail",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    mailbox = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    request_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    completed = table.Column<bool>(type: "boolean", nullable: false),
                    message_id = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sent_records", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_sent_records_created_at",
                schema: "mail",
                table: "sent_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_sent_records_mailbox_idempotency_key",
                schema: "mail",
                table: "sent_records",
                columns: new[] { "mailbox", "idempotency_key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sent_records",
                schema: "mail");
        }
    }
}

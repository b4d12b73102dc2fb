using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fayvad.Mail.Data.Migrations
{
    /// <inheritdoc />
    public partial class DraftsAndUploads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "draft_ids",
                schema: "mail");

            migrationBuilder.CreateTable(
                name: "uploads",
                schema: "mail",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    owner_user_id = table.Column<long>(type: "bigint", nullable: false),
                    file_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    content_type = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    size_bytes = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_uploads", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "upload_chunks",
                schema: "mail",
                columns: table => new
                {
                    upload_id = table.Column<long>(type: "bigint", nullable: false),
                    seq = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_upload_chunks", x => new { x.upload_id, x.seq });
                    table.ForeignKey(
                        name: "fk_upload_chunks_uploads_upload_id",
                        column: x => x.upload_id,
                        principalSchema: "mail",
                        principalTable: "uploads",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_uploads_last_used_at",
                schema: "mail",
                table: "uploads",
                column: "last_used_at");

            migrationBuilder.CreateIndex(
                name: "ix_uploads_owner_user_id",
                schema: "mail",
                table: "uploads",
                column: "owner_user_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "upload_chunks",
                schema: "mail");

            migrationBuilder.DropTable(
                name: "uploads",
                schema: "mail");

            migrationBuilder.DropSequence(
                name: "draft_ids",
                schema: "mail");
        }
    }
}

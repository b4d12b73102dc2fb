using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Mail.Data.Migrations
{
    /// <inheritdoc />
    public partial class SendClaimLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "claimed_until",
                schema: "mail",
                table: "sent_records",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "claimed_until",
                schema: "mail",
                table: "sent_records");
        }
    }
}

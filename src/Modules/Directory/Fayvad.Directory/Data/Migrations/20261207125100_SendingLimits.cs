using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Hourly sending limits per domain and per mailbox (0 = none), and what the submission policy service counts: the
    /// recipients each mailbox submitted per minute, kept two hours (docs/adr/0036).
    /// </summary>
    public partial class SendingLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "message_limit",
                schema: "directory",
                table: "email_accounts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "message_limit",
                schema: "directory",
                table: "domains",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddCheckConstraint(
                name: "ck_email_accounts_message_limit",
                schema: "directory",
                table: "email_accounts",
                sql: "message_limit >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "ck_domains_message_limit",
                schema: "directory",
                table: "domains",
                sql: "message_limit >= 0");

            migrationBuilder.Sql("""
                CREATE TABLE directory.sent_counts (
                  address    varchar(254) NOT NULL,
                  domain_id  bigint       NOT NULL,
                  minute     timestamptz  NOT NULL,
                  recipients integer      NOT NULL CHECK (recipients > 0),
                  PRIMARY KEY (address, minute)
                );
                CREATE INDEX ix_sent_counts_domain_minute ON directory.sent_counts (domain_id, minute);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE directory.sent_counts;");

            migrationBuilder.DropCheckConstraint(
                name: "ck_email_accounts_message_limit",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropCheckConstraint(
                name: "ck_domains_message_limit",
                schema: "directory",
                table: "domains");

            migrationBuilder.DropColumn(
                name: "message_limit",
                schema: "directory",
                table: "email_accounts");

            migrationBuilder.DropColumn(
                name: "message_limit",
                schema: "directory",
                table: "domains");
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Dovecot's quota upsert writes only bytes and messages, so updated_at is kept by a trigger. Dovecot and Postfix
    /// look addresses up as lower(input): names are stored lower case, and the database refuses anything else.
    /// </summary>
    public partial class MailboxUsageTouchAndLowercase : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION directory.touch_mailbox_usage() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.updated_at := now();
                    RETURN NEW;
                END $$;

                CREATE TRIGGER mailbox_usage_touch BEFORE INSERT OR UPDATE ON directory.mailbox_usage
                    FOR EACH ROW EXECUTE FUNCTION directory.touch_mailbox_usage();

                ALTER TABLE directory.email_accounts ADD CONSTRAINT ck_email_accounts_address_lower CHECK (address = lower(address));
                ALTER TABLE directory.domains ADD CONSTRAINT ck_domains_name_lower CHECK (name = lower(name));
                ALTER TABLE directory.users ADD CONSTRAINT ck_users_username_lower CHECK (username = lower(username));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE directory.users DROP CONSTRAINT ck_users_username_lower;
                ALTER TABLE directory.domains DROP CONSTRAINT ck_domains_name_lower;
                ALTER TABLE directory.email_accounts DROP CONSTRAINT ck_email_accounts_address_lower;
                DROP TRIGGER mailbox_usage_touch ON directory.mailbox_usage;
                DROP FUNCTION directory.touch_mailbox_usage();
                """);
        }
    }
}

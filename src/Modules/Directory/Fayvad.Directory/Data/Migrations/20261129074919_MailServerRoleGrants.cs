using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// The mail servers' rights on the contract objects, versioned with the objects themselves (docs/adr/0025): a
    /// production database gets them by migrating. The roles and their passwords stay outside (the operator, or
    /// deploy/stack.sh, creates them); a role that does not exist yet is skipped with a notice, and
    /// <c>SELECT directory.grant_mail_server_roles();</c> grants it once it does. A later migration that drops and
    /// re-creates one of these objects ends with that same call.
    /// </summary>
    public partial class MailServerRoleGrants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
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
                SELECT directory.grant_mail_server_roles();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                    REVOKE ALL ON directory.mail_accounts, directory.mail_domains, directory.mailbox_usage FROM fayvad_mail;
                    REVOKE USAGE ON SCHEMA directory FROM fayvad_mail;
                  END IF;
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_dkim') THEN
                    REVOKE ALL ON directory.dkim_signing FROM fayvad_dkim;
                    REVOKE USAGE ON SCHEMA directory FROM fayvad_dkim;
                  END IF;
                END $$;
                DROP FUNCTION IF EXISTS directory.grant_mail_server_roles();
                """);
        }
    }
}

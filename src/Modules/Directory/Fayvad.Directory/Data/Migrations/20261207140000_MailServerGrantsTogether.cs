using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// AliasesForwardsDomainTypes, SpamFiltering and AddressLookupFunction were written side by side and each redefined
    /// grant_mail_server_roles() with only its own objects; the last one left out the spam filters' views. One definition
    /// naming all of them, applied now (docs/adr/0025: grants live in the migrations).
    /// </summary>
    [DbContext(typeof(DirectoryDbContext))]
    [Migration("20261207140000_MailServerGrantsTogether")]
    public partial class MailServerGrantsTogether : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION directory.grant_mail_server_roles() RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                  -- Dovecot and Postfix: the account, domain and address views, the usage table Dovecot's quota writes;
                  -- the spam and virus filters' map renderer (deploy/rspamd/spam-maps.sh) reads the two spam views.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_mail;
                    GRANT SELECT ON directory.mail_accounts, directory.mail_domains, directory.mail_virtual, directory.mail_virtual_direct,
                      directory.mail_internal_only, directory.mail_organization_members TO fayvad_mail;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON directory.mailbox_usage TO fayvad_mail;
                    GRANT EXECUTE ON FUNCTION directory.mail_virtual_lookup(text) TO fayvad_mail;
                    GRANT SELECT ON directory.spam_domains, directory.spam_sender_rules TO fayvad_mail;
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
                SELECT directory.grant_mail_server_roles();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The earlier definitions stay as their migrations left them; granting more than the rolled-back schema needs
            // is what a Down of AddressLookupFunction would repair.
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccessChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every node caches who may sign in (docs/adr/0014): any change to these rows, committed by whatever wrote
            // it, tells them all whom it concerns: "u:<user id>", "o:<organization id>", "d:<domain name>", or "*".
            // A login time written on sign-in changes nobody's access and is not told.
            migrationBuilder.Sql($$"""
                CREATE FUNCTION directory.notify_access_row(source text, r jsonb) RETURNS void LANGUAGE plpgsql AS $f$
                BEGIN
                    IF source = 'users' THEN
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', 'u:' || (r->>'id'));
                    ELSIF source = 'email_accounts' THEN
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', 'u:' || (r->>'user_id'));
                    ELSIF source = 'domains' THEN
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', 'o:' || (r->>'organization_id'));
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', 'd:' || lower(r->>'name'));
                    ELSE
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', 'o:' || (r->>'id'));
                    END IF;
                END $f$;

                CREATE FUNCTION directory.notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN
                    IF TG_OP = 'TRUNCATE' THEN
                        PERFORM pg_notify('{{Fayvad.Directory.Contracts.DirectoryAccessChanges.Channel}}', '*');
                        RETURN NULL;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        PERFORM directory.notify_access_row(TG_TABLE_NAME, to_jsonb(OLD));
                    END IF;
                    IF TG_OP IN ('UPDATE', 'INSERT') THEN
                        PERFORM directory.notify_access_row(TG_TABLE_NAME, to_jsonb(NEW));
                    END IF;
                    RETURN NULL;
                END $f$;

                CREATE TRIGGER access_changed AFTER INSERT OR UPDATE OR DELETE ON directory.organizations
                    FOR EACH ROW EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_changed AFTER INSERT OR UPDATE OR DELETE ON directory.domains
                    FOR EACH ROW EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_changed AFTER INSERT OR UPDATE OR DELETE ON directory.email_accounts
                    FOR EACH ROW EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_changed AFTER INSERT OR DELETE ON directory.users
                    FOR EACH ROW EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_changed_update AFTER UPDATE ON directory.users
                    FOR EACH ROW WHEN (to_jsonb(OLD) - 'last_login_at' IS DISTINCT FROM to_jsonb(NEW) - 'last_login_at')
                    EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_truncated AFTER TRUNCATE ON directory.organizations
                    FOR EACH STATEMENT EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_truncated AFTER TRUNCATE ON directory.domains
                    FOR EACH STATEMENT EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_truncated AFTER TRUNCATE ON directory.email_accounts
                    FOR EACH STATEMENT EXECUTE FUNCTION directory.notify_access_changed();
                CREATE TRIGGER access_truncated AFTER TRUNCATE ON directory.users
                    FOR EACH STATEMENT EXECUTE FUNCTION directory.notify_access_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER access_changed ON directory.organizations;
                DROP TRIGGER access_changed ON directory.domains;
                DROP TRIGGER access_changed ON directory.email_accounts;
                DROP TRIGGER access_changed ON directory.users;
                DROP TRIGGER access_changed_update ON directory.users;
                DROP TRIGGER access_truncated ON directory.organizations;
                DROP TRIGGER access_truncated ON directory.domains;
                DROP TRIGGER access_truncated ON directory.email_accounts;
                DROP TRIGGER access_truncated ON directory.users;
                DROP FUNCTION directory.notify_access_changed();
                DROP FUNCTION directory.notify_access_row(text, jsonb);
                """);
        }
    }
}

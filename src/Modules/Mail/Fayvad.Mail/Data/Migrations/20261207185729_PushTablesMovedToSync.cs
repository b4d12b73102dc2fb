using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Mail.Data.Migrations
{
    /// <inheritdoc />
    public partial class PushTablesMovedToSync : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The event log, stream rows, folder states and webhooks now belong to the Sync module (docs/adr/0039). They
            // move to its schema with their rows; nothing is dropped but an empty copy beside a moved one. The Sync
            // module's first migration does the same, so either module may migrate first.
            migrationBuilder.EnsureSchema(name: "sync");
            migrationBuilder.Sql("""
                DO $$
                DECLARE t text;
                BEGIN
                    FOREACH t IN ARRAY ARRAY['webhooks', 'webhook_deliveries', 'mailbox_streams', 'mailbox_events', 'folder_states'] LOOP
                        IF to_regclass('mail.' || t) IS NOT NULL THEN
                            IF to_regclass('sync.' || t) IS NULL THEN
                                EXECUTE format('ALTER TABLE mail.%I SET SCHEMA sync', t);
                            ELSE
                                EXECUTE format('DO $e$ BEGIN IF NOT EXISTS (SELECT 1 FROM mail.%I) THEN DROP TABLE mail.%I CASCADE; END IF; END $e$', t, t);
                            END IF;
                        END IF;
                    END LOOP;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The tables are the Sync module's: going back a Mail migration does not take them from it.
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Identity.Data.Migrations
{
    /// <inheritdoc />
    public partial class TokenChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every node caches validated tokens (docs/adr/0014): a revocation, committed by whichever node made it,
            // tells them all which token ("t:<id>"). A new token needs no notice: a cache never holds a token it has not seen.
            migrationBuilder.Sql($$"""
                CREATE FUNCTION identity.notify_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN
                    PERFORM pg_notify('{{Fayvad.Identity.Tokens.TokenCache.Channel}}',
                        CASE WHEN TG_OP = 'TRUNCATE' THEN '*' ELSE 't:' || OLD.id END);
                    RETURN NULL;
                END $f$;

                CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON identity.access_tokens
                    FOR EACH ROW EXECUTE FUNCTION identity.notify_tokens_changed();
                CREATE TRIGGER tokens_truncated AFTER TRUNCATE ON identity.access_tokens
                    FOR EACH STATEMENT EXECUTE FUNCTION identity.notify_tokens_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER tokens_changed ON identity.access_tokens;
                DROP TRIGGER tokens_truncated ON identity.access_tokens;
                DROP FUNCTION identity.notify_tokens_changed();
                """);
        }
    }
}

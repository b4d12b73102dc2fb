using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fayvad.Directory.Data.Migrations
{
    /// <summary>
    /// Postfix asks virtual_alias_maps once per address of an expansion (1,000 times for a 1,000-recipient alias). The
    /// view mail_virtual took ~15 ms to plan per lookup (its CTEs), so such an alias took 12 s to accept. Lookups now go
    /// through a PL/pgSQL function whose statements are planned once per connection (proxymap keeps them open):
    /// <c>mail_virtual_direct</c> (the rows of hosted domains, a plain view the key reaches through its index), then, for
    /// a name at an alias domain, the same name at its target when that exists there. mail_virtual keeps every row for
    /// people to read (docs/adr/0034).
    /// </summary>
    [DbContext(typeof(DirectoryDbContext))]
    [Migration("20261207133000_AddressLookupFunction")]
    public partial class AddressLookupFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIEW directory.mail_virtual_direct AS
                SELECT a.address, a.address AS goto
                FROM directory.email_accounts a
                JOIN directory.users u ON u.id = a.user_id
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                WHERE a.enabled AND u.is_active AND a.deleted_at IS NULL AND u.deleted_at IS NULL
                  AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL
                  AND (cardinality(a.forward_to) = 0 OR a.forward_keep_copy)
                UNION ALL
                SELECT a.address, f.goto
                FROM directory.email_accounts a
                CROSS JOIN LATERAL unnest(a.forward_to) AS f(goto)
                JOIN directory.users u ON u.id = a.user_id
                JOIN directory.domains d ON d.id = a.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                WHERE a.enabled AND u.is_active AND a.deleted_at IS NULL AND u.deleted_at IS NULL
                  AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL
                UNION ALL
                SELECT al.address, r.goto
                FROM directory.aliases al
                CROSS JOIN LATERAL unnest(al.recipients) AS r(goto)
                JOIN directory.domains d ON d.id = al.domain_id
                JOIN directory.organizations o ON o.id = d.organization_id
                WHERE al.enabled AND (al.expires_at IS NULL OR al.expires_at > now())
                  AND d.enabled AND d.type = 'domain' AND o.status = 'active' AND d.deleted_at IS NULL AND o.deleted_at IS NULL;

                -- Where mail for one key goes: what mail_virtual answers for it, one row per destination. It reads the
                -- domains table, which fayvad_mail may not: it runs as its owner and answers only destinations.
                CREATE FUNCTION directory.mail_virtual_lookup(key text) RETURNS SETOF text
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = directory, pg_temp AS $$
                DECLARE
                  k text := lower(key);
                  at int := length(k) - strpos(reverse(k), '@') + 1;
                  target text;
                BEGIN
                  RETURN QUERY SELECT v.goto::text FROM directory.mail_virtual_direct v WHERE v.address = k;
                  IF FOUND OR strpos(k, '@') = 0 THEN
                    RETURN;
                  END IF;
                  SELECT t.name INTO target
                  FROM directory.domains a
                  JOIN directory.domains t ON t.id = a.alias_target_id
                  JOIN directory.organizations o ON o.id = a.organization_id
                  WHERE a.name = substr(k, at + 1) AND a.type = 'aliasdomain' AND a.enabled AND a.deleted_at IS NULL
                    AND o.status = 'active' AND o.deleted_at IS NULL;
                  IF target IS NOT NULL
                     AND EXISTS (SELECT FROM directory.mail_virtual_direct v WHERE v.address = substr(k, 1, at) || target) THEN
                    RETURN NEXT substr(k, 1, at) || target;
                  END IF;
                END $$;
                REVOKE ALL ON FUNCTION directory.mail_virtual_lookup(text) FROM PUBLIC;

                CREATE OR REPLACE FUNCTION directory.grant_mail_server_roles() RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                  -- Dovecot and Postfix: the account, domain and address views, and the usage table Dovecot's quota writes.
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') THEN
                    GRANT USAGE ON SCHEMA directory TO fayvad_mail;
                    GRANT SELECT ON directory.mail_accounts, directory.mail_domains, directory.mail_virtual, directory.mail_virtual_direct,
                      directory.mail_internal_only, directory.mail_organization_members TO fayvad_mail;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON directory.mailbox_usage TO fayvad_mail;
                    GRANT EXECUTE ON FUNCTION directory.mail_virtual_lookup(text) TO fayvad_mail;
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
            // grant_mail_server_roles() keeps naming the dropped objects until AliasesForwardsDomainTypes is reverted too.
            migrationBuilder.Sql("""
                DROP FUNCTION directory.mail_virtual_lookup(text);
                DROP VIEW directory.mail_virtual_direct;
                """);
        }
    }
}

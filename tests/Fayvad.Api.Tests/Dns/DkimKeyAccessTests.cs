using System.Net;
using Npgsql;

namespace Fayvad.Api.Tests.Dns;

/// <summary>
/// DKIM private keys are read only by the API and the signer (docs/adr/0019): connected as the roles the stack's
/// servers use (passwords from .stack/stack.env), the mail server's role reads no key and the signer's role reads the
/// signing view and nothing else.
/// </summary>
public sealed class DkimKeyAccessTests(ApiFactory factory) : ApiTest(factory)
{
    private const string InsufficientPrivilege = "42501";

    [Fact]
    public async Task TheMailServersRoleCannotReadDkimKeysAndTheSignersRoleReadsOnlyTheSigningView()
    {
        // A domain whose key signs, so the signing view has a row with a private key in it.
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await TestDns.PublishFromApiAsync(admin, org.DomainId, org.Domain, Ct);
        var check = await TestApi.ReadAsync(await admin.PostAsync($"{Root}/domains/{org.DomainId}/verify-dkim/", null, Ct), HttpStatusCode.OK);
        Assert.Equal("signing", check.GetProperty("dkim").GetProperty("status").GetString());

        await using (var mail = await ConnectAsAsync(StackSettings.Get("MAIL_DB_USER"), StackSettings.Get("MAIL_DB_PASSWORD")))
        {
            // The login works and reads its own contract, so the refusals below are about rights, not a broken login.
            Assert.Equal(1L, await ScalarAsync(mail, "SELECT count(*) FROM directory.mail_domains WHERE domain = $1", org.Domain));
            await AssertRefusedAsync(mail, "SELECT private_key FROM directory.dkim_keys LIMIT 1");
            await AssertRefusedAsync(mail, "SELECT private_key FROM directory.dkim_signing LIMIT 1");
            var readable = await ReadableRelationsAsync(mail);
            Assert.DoesNotContain("directory.dkim_keys", readable);
            Assert.DoesNotContain("directory.dkim_signing", readable);
        }

        await using (var dkim = await ConnectAsAsync(StackSettings.Get("DKIM_DB_USER"), StackSettings.Get("DKIM_DB_PASSWORD")))
        {
            var key = (string?)await ScalarAsync(dkim, "SELECT private_key FROM directory.dkim_signing WHERE domain = $1", org.Domain);
            Assert.StartsWith("-----BEGIN", key, StringComparison.Ordinal);
            await AssertRefusedAsync(dkim, "SELECT private_key FROM directory.dkim_keys LIMIT 1");
            await AssertRefusedAsync(dkim, "SELECT email FROM directory.mail_accounts LIMIT 1");
            // Every table, view or sequence of the database (any schema, whole or by column) it may read: that view only.
            Assert.Equal(["directory.dkim_signing"], await ReadableRelationsAsync(dkim));
        }
    }

    private static async Task<NpgsqlConnection> ConnectAsAsync(string role, string password)
    {
        var builder = new NpgsqlConnectionStringBuilder(StackSettings.DbConnection) { Username = role, Password = password, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p);
        }

        return await command.ExecuteScalarAsync(Ct);
    }

    private static async Task AssertRefusedAsync(NpgsqlConnection connection, string sql)
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, sql));
        Assert.Equal(InsufficientPrivilege, e.SqlState);
    }

    private static async Task<List<string>> ReadableRelationsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
              AND (has_table_privilege(c.oid, 'SELECT') OR (c.relkind <> 'S' AND has_any_column_privilege(c.oid, 'SELECT')))
            ORDER BY 1
            """, connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}

using Npgsql;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>
/// Whether a message may go to an internal-only alias: only when the client authenticated (SASL) as an active
/// mailbox of the alias's organization (docs/adr/0034). Postfix asks the policy server at RCPT, and only for
/// recipients that its map <c>mail_internal_only</c> names (the restriction class <c>internal_only</c>).
/// </summary>
internal sealed class InternalOnlyPolicy(NpgsqlDataSource dataSource)
{
    public const string Refusal = "550 5.7.1 this address accepts mail only from its own organization";

    public async Task<bool> AllowsAsync(string recipient, string? login, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(login) || recipient.Length == 0)
        {
            return false;
        }

        await using var command = dataSource.CreateCommand("""
            SELECT EXISTS (
              SELECT 1 FROM directory.mail_internal_only i
              JOIN directory.mail_organization_members m ON m.organization_id = i.organization_id
              WHERE i.address = lower($1) AND m.email = lower($2))
            """);
        command.Parameters.AddWithValue(recipient);
        command.Parameters.AddWithValue(login);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

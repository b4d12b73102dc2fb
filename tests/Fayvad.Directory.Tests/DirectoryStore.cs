using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fayvad.Directory.Tests;

/// <summary>
/// The Directory's tables on the stack's real PostgreSQL (schema directory), for a handler test's own organizations:
/// each test gets fresh, uniquely named rows, and everything under its organizations is removed at the end.
/// </summary>
internal sealed class DirectoryStore : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(Fayvad.Api.Tests.StackSettings.DbConnection);
    private readonly List<long> _organizations = [];

    /// <summary>A short unique tag for names, so tests running side by side never meet each other's rows.</summary>
    public string Tag { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>A context as a request gets one (the module adds its interceptors; reads need none).</summary>
    public DirectoryDbContext Context() =>
        new(new DbContextOptionsBuilder<DirectoryDbContext>()
            .UseNpgsql(_db, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", DirectoryDbContext.Schema))
            .UseSnakeCaseNamingConvention().Options);

    public async Task<Organization> OrganizationAsync(string name, CancellationToken ct)
    {
        await using var db = Context();
        var organization = new Organization { Name = $"{name} {Tag}", Slug = $"{name}-{Tag}".ToLowerInvariant(), CreatedAt = DateTimeOffset.UtcNow };
        db.Organizations.Add(organization);
        await db.SaveChangesAsync(ct);
        _organizations.Add(organization.Id);
        return organization;
    }

    public async Task<MailDomain> DomainAsync(Organization organization, string label, CancellationToken ct, DateTimeOffset? deletedAt = null)
    {
        await using var db = Context();
        var domain = new MailDomain
        {
            OrganizationId = organization.Id,
            Name = $"{label}-{Tag}.example",
            CreatedAt = DateTimeOffset.UtcNow,
            DeletedAt = deletedAt,
            PurgeAfter = deletedAt?.AddDays(30),
        };
        db.Domains.Add(domain);
        await db.SaveChangesAsync(ct);
        return domain;
    }

    public async Task<MailAlias> AliasAsync(MailDomain domain, string localPart, string description, CancellationToken ct)
    {
        await using var db = Context();
        var alias = new MailAlias
        {
            DomainId = domain.Id,
            LocalPart = localPart,
            Address = $"{localPart}@{domain.Name}",
            Recipients = [$"team@{domain.Name}"],
            Description = description,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.Aliases.Add(alias);
        await db.SaveChangesAsync(ct);
        return alias;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var connection = await _db.OpenConnectionAsync())
        {
            foreach (var sql in (string[])[
                "DELETE FROM directory.aliases WHERE domain_id IN (SELECT id FROM directory.domains WHERE organization_id = ANY($1))",
                "DELETE FROM directory.domains WHERE organization_id = ANY($1)",
                "DELETE FROM directory.organizations WHERE id = ANY($1)"])
            {
                await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = _organizations.ToArray() } } };
                await command.ExecuteNonQueryAsync();
            }
        }

        await _db.DisposeAsync();
    }
}

/// <summary>The authenticated caller of a handler under test.</summary>
internal sealed record Caller(UserRole Role, long? OrganizationId, long UserId = 1, string Username = "admin") : ICurrentUser
{
    public string? MailboxAddress => null;

    public long TokenId => 1;
}

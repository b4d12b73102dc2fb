using Microsoft.EntityFrameworkCore;

namespace Fayvad.Identity.Data;

/// <summary>An API token; only its SHA-256 hash is stored, so a database leak yields no usable token.</summary>
internal sealed class AccessToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required byte[] TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? ClientAddress { get; set; }
}

/// <summary>A failed login, kept for the throttle window.</summary>
internal sealed class LoginFailure
{
    public long Id { get; set; }
    public required string Username { get; set; }
    public required string ClientAddress { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
}

internal sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options) : DbContext(options)
{
    public const string Schema = "identity";

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();
    public DbSet<LoginFailure> LoginFailures => Set<LoginFailure>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<AccessToken>(e =>
        {
            e.ToTable("access_tokens");
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => t.UserId);
            e.Property(t => t.ClientAddress).HasMaxLength(64);
        });
        modelBuilder.Entity<LoginFailure>(e =>
        {
            e.ToTable("login_failures");
            e.Property(f => f.Username).HasMaxLength(254);
            e.Property(f => f.ClientAddress).HasMaxLength(64);
            e.HasIndex(f => new { f.Username, f.OccurredAt });
            e.HasIndex(f => new { f.ClientAddress, f.OccurredAt });
        });
    }
}

internal sealed class IdentityMigrator(IdentityDbContext db) : Fayvad.Shared.Modules.IModuleInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => db.Database.MigrateAsync(cancellationToken);
}

internal sealed class DesignTimeFactory : Microsoft.EntityFrameworkCore.Design.IDesignTimeDbContextFactory<IdentityDbContext>
{
    public IdentityDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<IdentityDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time", npgsql =>
                npgsql.MigrationsHistoryTable("__ef_migrations_history", IdentityDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .Options);
}

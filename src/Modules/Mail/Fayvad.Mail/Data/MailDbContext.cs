using Fayvad.Shared.Modules;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Fayvad.Mail.Data;

/// <summary>A send made under an Idempotency-Key: a retry with the same key gets this result instead of a second delivery.</summary>
internal sealed class SentRecord
{
    public long Id { get; set; }
    public required string Mailbox { get; set; }
    public required string IdempotencyKey { get; set; }

    /// <summary>SHA-256 of the request, so a key reused for a different message is refused rather than ignored.</summary>
    public required byte[] RequestHash { get; set; }

    public bool Completed { get; set; }
    public string? MessageId { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class MailDbContext(DbContextOptions<MailDbContext> options) : DbContext(options)
{
    public const string Schema = "mail";

    public DbSet<SentRecord> SentRecords => Set<SentRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<SentRecord>(e =>
        {
            e.ToTable("sent_records");
            e.Property(r => r.Mailbox).HasMaxLength(254);
            e.Property(r => r.IdempotencyKey).HasMaxLength(200);
            e.Property(r => r.MessageId).HasMaxLength(300);
            e.HasIndex(r => new { r.Mailbox, r.IdempotencyKey }).IsUnique();
            e.HasIndex(r => r.CreatedAt);
        });
    }
}

internal sealed class MailMigrator(MailDbContext db) : IModuleInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => db.Database.MigrateAsync(cancellationToken);
}

internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<MailDbContext>
{
    public MailDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<MailDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time", npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", MailDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .Options);
}

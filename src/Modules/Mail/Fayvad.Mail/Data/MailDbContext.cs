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

    /// <summary>Set before submission, so a retry that takes over a dead claim sends under the same Message-ID.</summary>
    public string? MessageId { get; set; }

    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Until then the claim belongs to the attempt that made it; after it, a retry may take it over (docs/adr/0016).</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }
}

internal sealed class MailDbContext(DbContextOptions<MailDbContext> options) : DbContext(options)
{
    public const string Schema = "mail";

    public DbSet<SentRecord> SentRecords => Set<SentRecord>();
    public DbSet<Upload> Uploads => Set<Upload>();
    public DbSet<UploadChunk> UploadChunks => Set<UploadChunk>();

    /// <summary>Draft ids: one sequence for every mailbox, so an id never names two drafts (see Drafts/DraftStore).</summary>
    public const string DraftIdSequence = "draft_ids";

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
        modelBuilder.Entity<Upload>(e =>
        {
            e.ToTable("uploads");
            e.Property(u => u.FileName).HasMaxLength(255);
            e.Property(u => u.ContentType).HasMaxLength(255);
            e.HasIndex(u => u.OwnerUserId);
            e.HasIndex(u => u.LastUsedAt);
        });
        modelBuilder.Entity<UploadChunk>(e =>
        {
            e.ToTable("upload_chunks");
            e.HasKey(c => new { c.UploadId, c.Seq });
            e.HasOne<Upload>().WithMany().HasForeignKey(c => c.UploadId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.HasSequence<long>(DraftIdSequence);
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

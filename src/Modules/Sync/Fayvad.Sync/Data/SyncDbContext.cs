using Fayvad.Shared.Modules;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fayvad.Sync.Data;

/// <summary>The process's shared PostgreSQL data source, as the Sync module's hand-written SQL reaches it; the container owns it.</summary>
internal sealed class SyncDataSource(NpgsqlDataSource source)
{
    public NpgsqlDataSource Source { get; } = source;
}

/// <summary>
/// The Sync module's tables (schema <c>sync</c>): event log, stream rows with their leases, folder marks, webhooks.
/// They were the Mail module's until docs/adr/0039; the first migration moves them over where they exist.
/// </summary>
internal sealed class SyncDbContext(DbContextOptions<SyncDbContext> options) : DbContext(options)
{
    public const string Schema = "sync";

    public DbSet<MailboxStream> MailboxStreams => Set<MailboxStream>();
    public DbSet<MailboxEventRecord> MailboxEvents => Set<MailboxEventRecord>();
    public DbSet<FolderState> FolderStates => Set<FolderState>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<MailboxStream>(e =>
        {
            e.ToTable("mailbox_streams");
            e.HasKey(s => s.Mailbox);
            e.Property(s => s.Mailbox).HasMaxLength(254);
            e.Property(s => s.WatcherNode).HasMaxLength(200);
            e.HasIndex(s => s.OrganizationId);
        });
        modelBuilder.Entity<MailboxEventRecord>(e =>
        {
            e.ToTable("mailbox_events");
            e.HasKey(r => new { r.Mailbox, r.Seq });
            e.Property(r => r.Mailbox).HasMaxLength(254);
            e.Property(r => r.Type).HasMaxLength(40);
            e.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
            e.HasIndex(r => r.CreatedAt);
        });
        modelBuilder.Entity<FolderState>(e =>
        {
            e.ToTable("folder_states");
            e.HasKey(f => new { f.Mailbox, f.Folder });
            e.Property(f => f.Mailbox).HasMaxLength(254);
        });
        modelBuilder.Entity<Webhook>(e =>
        {
            e.ToTable("webhooks");
            e.Property(w => w.Url).HasMaxLength(2000);
            e.Property(w => w.Secret).HasMaxLength(200);
            e.Property(w => w.CreatedAt).HasDefaultValueSql("now()");
            e.HasIndex(w => w.OrganizationId);
        });
        modelBuilder.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.Property(d => d.EventId).HasMaxLength(300);
            e.Property(d => d.EventType).HasMaxLength(40);
            e.Property(d => d.Status).HasMaxLength(20);
            e.Property(d => d.CreatedAt).HasDefaultValueSql("now()");
            e.HasOne<Webhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(d => new { d.WebhookId, d.EventId }).IsUnique();
            e.HasIndex(d => new { d.Status, d.NextAttemptAt });
        });
    }
}

internal sealed class SyncMigrator(SyncDbContext db) : IModuleInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => db.Database.MigrateAsync(cancellationToken);
}

internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<SyncDbContext>
{
    public SyncDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SyncDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time", npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", SyncDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .Options);
}

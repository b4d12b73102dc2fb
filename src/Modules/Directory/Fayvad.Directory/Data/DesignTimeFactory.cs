using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Fayvad.Directory.Data;

/// <summary>Lets `dotnet ef migrations add` build the model without a running database.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<DirectoryDbContext>
{
    public DirectoryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<DirectoryDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time", npgsql =>
                npgsql.MigrationsHistoryTable("__ef_migrations_history", DirectoryDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .Options);
}

using Fayvad.Shared.Modules;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Data;

internal sealed class DirectoryMigrator(DirectoryDbContext db) : IModuleInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => db.Database.MigrateAsync(cancellationToken);
}

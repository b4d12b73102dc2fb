using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fayvad.Directory.Data;

internal static class SaveChanges
{
    /// <summary>False when a unique index refused the write: two requests raced past the existence check.</summary>
    public static async Task<bool> TrySaveUniqueAsync(this DbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }
}

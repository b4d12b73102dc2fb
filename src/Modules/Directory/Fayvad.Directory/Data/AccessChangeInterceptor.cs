using System.Data.Common;
using System.Text.RegularExpressions;
using Fayvad.Directory.Contracts;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Fayvad.Directory.Data;

/// <summary>
/// Tells this node's <see cref="IDirectoryAccessObserver"/>s at once when a command wrote a table that decides who may
/// sign in, whether from SaveChanges or ExecuteUpdate/Delete; other nodes learn it from the tables' NOTIFY trigger.
/// Recording a login time changes nobody's access and is not reported.
/// </summary>
internal sealed partial class AccessChangeInterceptor(IEnumerable<IDirectoryAccessObserver> observers) : DbCommandInterceptor
{
    private readonly IDirectoryAccessObserver[] _observers = observers.ToArray();

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Report(command);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Report(command);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Report(command);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Report(command);
        return result;
    }

    internal static bool ChangesAccess(string sql) => AccessWrite().IsMatch(sql) && !LoginTimeOnly().IsMatch(sql);

    private void Report(DbCommand command)
    {
        if (_observers.Length > 0 && ChangesAccess(command.CommandText))
        {
            foreach (var observer in _observers)
            {
                observer.AccessMayHaveChanged();
            }
        }
    }

    [GeneratedRegex("""\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE)\s+"?directory"?\."?(users|email_accounts|domains|organizations)"?\b""", RegexOptions.IgnoreCase)]
    private static partial Regex AccessWrite();

    [GeneratedRegex("""^\s*UPDATE\s+"?directory"?\."?users"?\s+(AS\s+\w+\s+)?SET\s+"?last_login_at"?\s*=\s*@\w+\s+WHERE[^;]*;?\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex LoginTimeOnly();
}

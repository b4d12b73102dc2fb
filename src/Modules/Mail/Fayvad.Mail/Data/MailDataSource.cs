using Npgsql;

namespace Fayvad.Mail.Data;

/// <summary>The process's shared PostgreSQL data source, as the Mail module's hand-written SQL reaches it; the container owns it.</summary>
internal sealed class MailDataSource(NpgsqlDataSource source)
{
    public NpgsqlDataSource Source { get; } = source;
}

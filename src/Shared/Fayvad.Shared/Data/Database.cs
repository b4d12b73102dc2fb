using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Fayvad.Shared.Health;
using Npgsql;

namespace Fayvad.Shared.Data;

/// <summary>Bound from configuration section "Database".</summary>
public sealed class DatabaseOptions
{
    /// <summary>
    /// Connections this process may hold, for every module together. PostgreSQL's max_connections (100 in
    /// deploy/postgres) is shared with Dovecot, Postfix, migrations and other API nodes: keep the sum of every
    /// node's pool plus theirs below it.
    /// </summary>
    public int MaxPoolSize { get; set; } = 30;

    /// <summary>How long a request waits for a free pooled connection (or a new one) before it is answered 503.</summary>
    public int ConnectionTimeoutSeconds { get; set; } = 5;

    /// <summary>Longest a single SQL command may run.</summary>
    public int CommandTimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// The one pooled PostgreSQL data source of the process. Every module's DbContext and hand-written SQL draw from it,
/// so the process never holds more than <see cref="DatabaseOptions.MaxPoolSize"/> connections, however many requests
/// arrive: past that, a request waits up to <see cref="DatabaseOptions.ConnectionTimeoutSeconds"/> and then fails as a
/// database outage (503 with Retry-After), never as a 500.
/// </summary>
public static class Database
{
    /// <summary>Registers the shared data source once; each module calls it, the first registration wins.</summary>
    public static IServiceCollection AddSharedDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(s => s.ServiceType == typeof(NpgsqlDataSource)))
        {
            return services;
        }

        services.AddSingleton(_ => Create(configuration));
        // The pool is this project's one way into PostgreSQL, so its check lives beside it.
        services.AddReadinessCheck<DatabaseHealthCheck>(DatabaseHealthCheck.Name);
        return services;
    }

    internal static NpgsqlDataSource Create(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Fayvad")
            ?? throw new InvalidOperationException("ConnectionStrings:Fayvad is not set (env ConnectionStrings__Fayvad).");
        var options = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (options.MaxPoolSize < 2)
        {
            throw new InvalidOperationException("Database:MaxPoolSize must be at least 2.");
        }

        // The name labels the pool in metrics, instead of the connection string.
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "fayvad" };
        builder.ConnectionStringBuilder.Pooling = true;
        builder.ConnectionStringBuilder.MaxPoolSize = options.MaxPoolSize;
        builder.ConnectionStringBuilder.MinPoolSize = Math.Min(builder.ConnectionStringBuilder.MinPoolSize, options.MaxPoolSize);
        builder.ConnectionStringBuilder.Timeout = options.ConnectionTimeoutSeconds;
        builder.ConnectionStringBuilder.CommandTimeout = options.CommandTimeoutSeconds;
        return builder.Build();
    }
}

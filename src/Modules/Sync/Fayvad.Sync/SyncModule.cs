using Fayvad.Shared.Validation;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Modules;
using Fayvad.Shared.Options;
using Fayvad.Sync.Data;
using Fayvad.Sync.Log;
using Fayvad.Sync.Streams;
using Fayvad.Sync.Watch;
using Fayvad.Sync.Webhooks;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fayvad.Sync;

/// <summary>
/// Registers the Sync module: each mailbox's event log, folder marks and watch leases, Dovecot's push hints and the
/// sweep, event streams, check-new and webhooks (docs/adr/0039). What changed comes from the Mail module through
/// <see cref="IMailboxChanges"/>.
/// </summary>
public static class SyncModule
{
    public static IServiceCollection AddSyncModule(this IServiceCollection services)
    {
        services.AddDbContext<SyncDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", SyncDbContext.Schema))
            .UseSnakeCaseNamingConvention());
        services.AddScoped<IModuleInitializer, SyncMigrator>();
        services.AddValidatedOptions<PushOptions, PushOptionsValidator>("Mail:Push");
        services.AddValidatedOptions<WebhookOptions, WebhookOptionsValidator>("Mail:Webhooks");
        services.AddSingleton<SyncMetrics>();
        services.AddSingleton(sp => new SyncDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<EventLog>();
        services.AddSingleton<FolderStates>();
        services.AddSingleton<Leases>();
        services.AddSingleton<EventSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<EventSignals>());
        services.AddHostedService<EventLogPurger>();
        services.AddSingleton<IMailboxRemovedHandler, RemovedMailboxRecords>();
        services.AddSingleton<HeartbeatWheel>();
        // Push: Dovecot's hints and passes on pooled connections, the sweep for what no hint announced (docs/adr/0021, 0038).
        services.AddSingleton<HintWatchRegistry>();
        services.AddSingleton<IMailboxWatches>(sp => sp.GetRequiredService<HintWatchRegistry>());
        services.AddHostedService(sp => sp.GetRequiredService<HintWatchRegistry>());
        services.AddHostedService<HintListener>();
        services.AddSingleton<WebhookInterest>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookInterest>());
        services.AddHostedService<WebhookDispatcher>();
        // Webhook receivers are other people's servers: never follow their redirects.
        services.AddSingleton<WebhookTargets>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<WebhookTargets>().ConnectAsync,
            });
        services.AddMessageValidators(typeof(SyncModule).Assembly);
        return services;
    }
}

using FluentValidation;
using Fayvad.Mail.Contracts;
using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Push;
using Fayvad.Mail.Smtp;
using Fayvad.Mail.Store;
using Fayvad.Shared.Modules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Mail;

/// <summary>Registers the Mail module: folders, messages, send, actions and search over the user's own IMAP mailbox.</summary>
public static class MailModule
{
    public static IServiceCollection AddMailModule(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Fayvad")
            ?? throw new InvalidOperationException("ConnectionStrings:Fayvad is not set (env ConnectionStrings__Fayvad).");
        services.AddDbContext<MailDbContext>(options => options
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", MailDbContext.Schema))
            .UseSnakeCaseNamingConvention());
        services.AddScoped<IModuleInitializer, MailMigrator>();

        // Mail arrives in windows-125x, KOI8-R, ISO-2022-JP...: .NET ships those code pages but does not enable them.
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);

        services.Configure<MailOptions>(configuration.GetSection("Mail"));
        services.AddSingleton<IMailSubmitter, MailSubmitter>();
        services.AddSingleton<ImapConnector>();
        services.AddSingleton<ImapSessionPool>();
        services.AddSingleton<IImapSessions>(sp => sp.GetRequiredService<ImapSessionPool>());
        services.AddHostedService(sp => sp.GetRequiredService<ImapSessionPool>());
        services.AddSingleton(_ => new MailDataSource(Npgsql.NpgsqlDataSource.Create(connectionString)));
        services.AddSingleton<EventLog>();
        services.AddSingleton<EventSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<EventSignals>());
        services.AddSingleton<WatcherRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<WatcherRegistry>());
        services.AddSingleton<WebhookInterest>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookInterest>());
        services.AddHostedService<WebhookDispatcher>();
        // Webhook receivers are other people's servers: never follow their redirects.
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
        // Deleted mailboxes: sessions ended and mail purged through Dovecot's doveadm HTTP API (docs/adr/0010).
        services.AddHttpClient<DoveadmClient>(client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddScoped<IMailboxStore, MailboxStore>();
        services.AddValidatorsFromAssembly(typeof(MailModule).Assembly, includeInternalTypes: true,
            filter: scan => !scan.ValidatorType.IsGenericTypeDefinition);
        return services;
    }
}

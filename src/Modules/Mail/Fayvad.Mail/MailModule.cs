using Fayvad.Mail.Mime;
using Fayvad.Shared.Validation;
using FluentValidation;
using Fayvad.Mail.Contracts;
using Fayvad.Mail.Data;
using Fayvad.Mail.Health;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Smtp;
using Fayvad.Mail.Uploads;
using Fayvad.Mail.Store;
using Fayvad.Shared.Data;
using Fayvad.Shared.Health;
using Fayvad.Shared.Http;
using Fayvad.Shared.Modules;
using Fayvad.Shared.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fayvad.Mail;

/// <summary>Registers the Mail module: folders, messages, send, drafts, uploads, actions and search over the user's own IMAP mailbox.</summary>
public static class MailModule
{
    /// <summary>Sending mail is rate-limited apart from (and tighter than) other writes.</summary>
    public const string SendRateLimitGroup = "send";

    public static IServiceCollection AddMailModule(this IServiceCollection services, IConfiguration configuration)
    {
        // One pooled, sized data source for the whole process (Shared/Data/Database).
        services.AddSharedDatabase(configuration);
        services.AddDbContext<MailDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", MailDbContext.Schema))
            .UseSnakeCaseNamingConvention());
        services.AddScoped<IModuleInitializer, MailMigrator>();

        // Mail arrives in windows-125x, KOI8-R, ISO-2022-JP...: .NET ships those code pages but does not enable them.
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);

        services.AddValidatedOptions<MailOptions, MailOptionsValidator>("Mail");
        services.AddSingleton<MailMetrics>();
        services.AddSingleton<ComposeJson>();
        services.AddSingleton<IMailSubmitter, MailSubmitter>();
        services.AddScoped<Outbox>();
        services.AddSingleton<ClaimFinisher>();
        services.AddHostedService(sp => sp.GetRequiredService<ClaimFinisher>());
        services.AddScoped<UploadStore>();
        services.AddHostedService<UploadJanitor>();
        services.AddRateLimitGroup(SendRateLimitGroup, 120, TimeSpan.FromMinutes(1));
        services.AddReadinessCheck<ImapHealthCheck>(ImapHealthCheck.Name);
        services.AddReadinessCheck<SmtpHealthCheck>(SmtpHealthCheck.Name);
        services.AddSingleton<ImapConnector>();
        services.AddSingleton<IImapConnector>(sp => sp.GetRequiredService<ImapConnector>());
        services.AddSingleton<BinaryFetcher>();
        services.AddSingleton<FetchFaults>();
        services.AddSingleton<ImapSessionPool>();
        services.AddSingleton<IMessageLocator, MessageLocator>();
        services.AddSingleton<MessageCache>();
        services.AddSingleton<IImapSessions>(sp => sp.GetRequiredService<ImapSessionPool>());
        services.AddHostedService(sp => sp.GetRequiredService<ImapSessionPool>());
        services.AddSingleton(sp => new MailDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        // What changed in a mailbox, for the Sync module's passes (docs/adr/0039).
        services.AddSingleton<IMailboxChanges, Changes.MailboxChanges>();
        // Deleted mailboxes: sessions ended and mail purged through Dovecot's doveadm HTTP API (docs/adr/0010).
        services.AddHttpClient<DoveadmClient>(client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddScoped<IMailboxStore, MailboxStore>();
        services.AddMessageValidators(typeof(MailModule).Assembly);
        return services;
    }
}

using Fayvad.Shared.Validation;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Directory.Passwords;
using Fayvad.Directory.Seeding;
using Fayvad.Shared.Data;
using Fayvad.Shared.Modules;
using Fayvad.Shared.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fayvad.Directory;

/// <summary>Registers the Directory module: organizations, domains, email accounts, users and their passwords.</summary>
public static class DirectoryModule
{
    public static IServiceCollection AddDirectoryModule(this IServiceCollection services, IConfiguration configuration)
    {
        // One pooled, sized data source for the whole process (Shared/Data/Database).
        services.AddSharedDatabase(configuration);

        services.AddDbContext<DirectoryDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", DirectoryDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(sp.GetRequiredService<AccessChangeInterceptor>()));
        services.AddSingleton<AccessChangeInterceptor>();

        var workFactor = configuration.GetValue("Directory:BcryptWorkFactor", PasswordHasher.DefaultWorkFactor);
        services.AddSingleton(new PasswordHasher(workFactor));
        services.AddScoped<DirectoryContractsService>();
        services.AddScoped<Accounts.NewAccounts>();
        services.AddScoped<IDirectoryAuthentication>(sp => sp.GetRequiredService<DirectoryContractsService>());
        services.AddScoped<IDirectoryProfiles>(sp => sp.GetRequiredService<DirectoryContractsService>());
        services.AddScoped<IDirectoryMailboxes>(sp => sp.GetRequiredService<DirectoryContractsService>());
        services.AddMessageValidators(typeof(DirectoryModule).Assembly);

        services.AddValidatedOptions<Dkim.DnsOptions, Dkim.DnsOptionsValidator>("Directory:Dns");
        services.AddSingleton<Dkim.DnsChecker>();
        services.AddScoped<Features.CheckDomainDns.DomainDnsCheckRunner>();
        services.AddScoped<IModuleCommand, Features.DomainDns.DnsZoneCommandLine>();
        services.AddScoped<IModuleCommand, Features.CheckDomainDns.DnsCheckCommandLine>();
        services.AddSingleton<Features.SendingLimits.SendingLimitPolicy>();
        services.AddSingleton<Features.Aliases.InternalOnlyPolicy>();
        services.AddScoped<IModuleCommand, MailPolicy.PolicyServerCommandLine>();

        services.AddValidatedOptions<DeletionOptions, DeletionOptionsValidator>("Directory:Deletion");
        services.AddHostedService<DeletionPurger>();

        services.AddValidatedOptions<DemoSeedOptions, DemoSeedOptionsValidator>("Seed");
        services.AddScoped<IModuleInitializer, DirectoryMigrator>();
        services.AddScoped<IModuleInitializer, DemoSeeder>();
        return services;
    }
}

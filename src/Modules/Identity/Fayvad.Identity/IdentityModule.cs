using Fayvad.Shared.Validation;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Identity.Data;
using Fayvad.Identity.Passwords;
using Fayvad.Identity.Tokens;
using Fayvad.Shared.Data;
using Fayvad.Shared.Modules;
using Fayvad.Shared.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fayvad.Identity;

/// <summary>Registers the Identity module: login, tokens, the current user.</summary>
public static class IdentityModule
{
    public const string AuthenticationScheme = TokenAuthenticationHandler.SchemeName;

    public static IServiceCollection AddIdentityModule(this IServiceCollection services, IConfiguration configuration)
    {
        // One pooled, sized data source for the whole process (Shared/Data/Database).
        services.AddSharedDatabase(configuration);

        services.AddDbContext<IdentityDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", IdentityDbContext.Schema))
            .UseSnakeCaseNamingConvention());

        services.AddValidatedOptions<TokenOptions, TokenOptionsValidator>("Identity:Tokens");
        services.AddValidatedOptions<LoginThrottleOptions, LoginThrottleOptionsValidator>("Identity:LoginThrottle");
        services.AddScoped<TokenService>();
        services.AddSingleton<TokenCache>();
        services.AddSingleton<IDirectoryAccessObserver>(sp => sp.GetRequiredService<TokenCache>());
        services.AddHostedService<AccessChangeListener>();
        services.AddScoped<PasswordThrottle>();
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentUser>();
        services.AddScoped<ICurrentUser>(sp => sp.GetRequiredService<CurrentUser>());
        services.AddSingleton<ISessionCheck, SessionCheck>();
        services.AddMessageValidators(typeof(IdentityModule).Assembly);
        services.AddScoped<IModuleInitializer, IdentityMigrator>();

        services.AddAuthentication(AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(AuthenticationScheme, null);
        return services;
    }
}

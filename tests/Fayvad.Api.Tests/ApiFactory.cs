using System.Net;
using Fayvad.Shared.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

[assembly: AssemblyFixture(typeof(Fayvad.Api.Tests.ApiFactory))]

namespace Fayvad.Api.Tests;

/// <summary>The real API in-process, on the stack's real PostgreSQL. Test organizations are named test-* and removed after.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ClientAddressHeader = "X-Test-Client-Address";
    public const string TestSlugPrefix = "test-";

    /// <summary>This run's organizations start with RunPrefix; a concurrent run (another developer, CI) keeps its own.</summary>
    public static readonly string RunPrefix = TestSlugPrefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2)) + "-";

    public ApiFactory()
    {
        // Read by the Host while it builds, before WebApplicationFactory settings apply.
        Environment.SetEnvironmentVariable("ConnectionStrings__Fayvad", StackSettings.ApiSettings["ConnectionStrings__Fayvad"]);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // The stack's settings (.stack/api.env) and the tests' timings, as every test host has them.
        foreach (var (key, value) in TestHostSettings.Common())
        {
            builder.UseSetting(TestHostSettings.ConfigurationKey(key), value);
        }

        // A test run holds many hosts at once (this one, the hosts tests derive from it, the API processes of the
        // deploy, fault and webhook tests), each with its own pool: at the default 30 they together reached the stack's
        // 100 connections (53300 in a run). An in-process host serves a class or two at a time, 12 parallel logins at
        // most (10 was too few for those: they wait on one row lock, each holding a connection): 20.
        builder.UseSetting("Database:MaxPoolSize", "20");
        // Webhook tests run their own API processes (to restart one); this in-process node only queues.
        builder.UseSetting("Mail:Webhooks:Deliver", "false");
        // The upload expiry test backdates an upload and waits for the janitor's next sweep.
        builder.UseSetting("Mail:Uploads:SweepInterval", "00:00:01");
        // DNS checks ask the stack's loopback NSD (Directory:Dns:Server/Port from api.env), which the tests publish
        // zones into (Dns/TestDns).
        builder.UseSetting("Directory:Dns:MailHost", TestDns.MailHost);
        builder.UseSetting("Directory:Dns:Timeout", "00:00:02");
        // Trusted beside the stack's own verifier (TrustedServers:0 from api.env): an upstream gateway's id, which
        // AuthenticationResultsTests writes into messages it appends.
        builder.UseSetting("Mail:AuthenticationResults:TrustedServers:1", TestDns.MailHost);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, ClientAddressFilter>());
    }

    public async ValueTask InitializeAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        foreach (var initializer in scope.ServiceProvider.GetServices<IModuleInitializer>())
        {
            await initializer.InitializeAsync(CancellationToken.None);
        }

        // Every test client checks each response against the document this host serves (docs/adr/0022).
        await Contract.ContractDocument.LoadAsync(Server.CreateClient());

        // Leftovers of runs that died more than an hour ago.
        await DeleteTestDataAsync(TestSlugPrefix, TimeSpan.FromHours(1));
    }

    public override async ValueTask DisposeAsync()
    {
        await DeleteTestDataAsync(RunPrefix, TimeSpan.Zero);
        await base.DisposeAsync();
    }

    public static async Task<object?> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(StackSettings.DbConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p);
        }

        return await command.ExecuteScalarAsync();
    }

    private static Task DeleteTestDataAsync(string prefix, TimeSpan olderThan)
    {
        var doomed = $"SELECT id FROM directory.organizations WHERE slug LIKE '{prefix}%' AND created_at < now() - interval '{(int)olderThan.TotalSeconds} seconds'";
        return ScalarAsync($"""
            DELETE FROM identity.access_tokens WHERE user_id IN (SELECT u.id FROM directory.users u WHERE u.organization_id IN ({doomed}));
            DELETE FROM directory.mailbox_usage WHERE email IN
                (SELECT a.address FROM directory.email_accounts a JOIN directory.domains d ON d.id = a.domain_id WHERE d.organization_id IN ({doomed}));
            DELETE FROM sync.webhooks WHERE organization_id IN ({doomed});
            DELETE FROM mail.uploads WHERE owner_user_id IN (SELECT u.id FROM directory.users u WHERE u.organization_id IN ({doomed}));
            DELETE FROM sync.mailbox_events WHERE mailbox IN (SELECT mailbox FROM sync.mailbox_streams WHERE organization_id IN ({doomed}));
            DELETE FROM sync.folder_states WHERE mailbox IN (SELECT mailbox FROM sync.mailbox_streams WHERE organization_id IN ({doomed}));
            DELETE FROM sync.mailbox_streams WHERE organization_id IN ({doomed});
            DELETE FROM directory.organizations WHERE id IN ({doomed});
            -- Users of no organization (bare-username admins) are named with the prefix too.
            DELETE FROM identity.access_tokens WHERE user_id IN
                (SELECT id FROM directory.users WHERE organization_id IS NULL AND username LIKE '{prefix}%' AND created_at < now() - interval '{(int)olderThan.TotalSeconds} seconds');
            DELETE FROM directory.users WHERE organization_id IS NULL AND username LIKE '{prefix}%' AND created_at < now() - interval '{(int)olderThan.TotalSeconds} seconds';
            DELETE FROM identity.login_failures WHERE occurred_at < now() - interval '1 hour';
            """);
    }

    /// <summary>TestServer has no remote address; each test client names its own so per-address throttling stays per test.</summary>
    private sealed class ClientAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[ClientAddressHeader], out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

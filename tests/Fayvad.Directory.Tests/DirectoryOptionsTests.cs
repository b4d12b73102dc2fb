using Fayvad.Directory.Deletion;
using Fayvad.Directory.Dkim;
using Fayvad.Directory.Seeding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Tests;

public sealed class DirectoryOptionsTests
{
    [Fact]
    public void The_defaults_are_accepted()
    {
        using var provider = Provider([]);
        Assert.Equal(53, provider.GetRequiredService<IOptions<DnsOptions>>().Value.Port);
        Assert.Equal(TimeSpan.FromDays(30), provider.GetRequiredService<IOptions<DeletionOptions>>().Value.Retention);
    }

    [Theory]
    [InlineData("Directory:Dns:Server", "dns.example", "Directory:Dns:Server must be empty (the system's resolvers) or an IP address")]
    [InlineData("Directory:Dns:Timeout", "00:00:00", "Directory__Dns__Timeout")]
    [InlineData("Directory:Deletion:PurgeBatch", "0", "Directory:Deletion:PurgeBatch")]
    [InlineData("Seed:OrgAdminUsername", "admin", "Seed:OrgAdminPassword")]
    public void A_wrong_setting_stops_the_host_naming_it(string key, string value, string named)
    {
        using var provider = Provider(new() { [key] = value, ["Seed:Demo"] = "true" });
        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = provider.GetRequiredService<IOptions<DnsOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<DeletionOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<DemoSeedOptions>>().Value;
        });
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        settings["ConnectionStrings:Fayvad"] = "Host=127.0.0.1;Database=none";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddDirectoryModule(configuration).BuildServiceProvider();
    }
}

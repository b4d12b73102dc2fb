using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Tests;

public sealed class MailOptionsTests
{
    private static readonly Dictionary<string, string?> Complete = new()
    {
        ["ConnectionStrings:Fayvad"] = "Host=127.0.0.1;Database=none",
        ["Mail:Imap:Host"] = "127.0.0.1",
        ["Mail:Imap:Port"] = "143",
        ["Mail:Imap:MasterUser"] = "fayvad_api",
        ["Mail:Imap:MasterPassword"] = "from-the-environment",
        ["Mail:Smtp:Host"] = "127.0.0.1",
        ["Mail:Smtp:Port"] = "587",
    };

    [Fact]
    public void A_complete_configuration_is_accepted()
    {
        Assert.Equal("fayvad_api", Resolve(Complete).Imap.MasterUser);
    }

    [Theory]
    [InlineData("Mail:Imap:MasterPassword", "", "Mail__Imap__MasterPassword")]
    [InlineData("Mail:Imap:MasterUser", " ", "Mail:Imap:MasterUser")]
    [InlineData("Mail:Imap:Port", "0", "Mail:Imap:Port")]
    [InlineData("Mail:Smtp:Host", "", "Mail:Smtp:Host")]
    [InlineData("Mail:Imap:MaxConnections", "1", "Mail:Imap:MaxConnections")]
    public void A_missing_or_impossible_setting_is_refused_by_name(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>(Complete) { [key] = value };
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static MailOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddMailModule(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<MailOptions>>().Value;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Tests;

public sealed class SyncOptionsTests
{
    [Fact]
    public void The_defaults_are_accepted()
    {
        using var provider = Provider([]);
        Assert.Equal(10300, provider.GetRequiredService<IOptions<PushOptions>>().Value.HintPort);
        Assert.Equal(15, provider.GetRequiredService<IOptions<WebhookOptions>>().Value.MaxAttempts);
    }

    [Theory]
    [InlineData("Mail:Push:Mode", "Notify", "Mail:Push:Mode is Notify, which is no longer supported")]
    [InlineData("Mail:Push:HintAddress", "localhost", "Mail:Push:HintAddress must be an IP address")]
    [InlineData("Mail:Push:HintPort", "70000", "Mail__Push__HintPort")]
    [InlineData("Mail:Push:SweepInterval", "00:00:00.5", "Mail:Push:SweepInterval")]
    [InlineData("Mail:Webhooks:AllowedPrivateTargets:0", "10.0.0.0/99", "Mail:Webhooks:AllowedPrivateTargets must be CIDR ranges")]
    [InlineData("Mail:Webhooks:MaxBackoff", "00:00:01", "Mail:Webhooks:MaxBackoff")]
    public void A_wrong_setting_stops_the_host_naming_it(string key, string value, string named)
    {
        using var provider = Provider(new() { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = provider.GetRequiredService<IOptions<PushOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
        });
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hints_may_still_be_named_as_the_mode()
    {
        using var provider = Provider(new() { ["Mail:Push:Mode"] = "hints" });
        Assert.Equal("hints", provider.GetRequiredService<IOptions<PushOptions>>().Value.Mode);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddSyncModule().BuildServiceProvider();
    }
}

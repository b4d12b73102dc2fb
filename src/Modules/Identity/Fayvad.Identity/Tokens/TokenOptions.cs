using Fayvad.Shared.Options;
using FluentValidation;
namespace Fayvad.Identity.Tokens;

internal sealed class TokenOptions
{
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a validated token is trusted without asking PostgreSQL again; zero turns the cache off (docs/adr/0014).</summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromSeconds(60);
}

internal sealed class TokenOptionsValidator : OptionsValidator<TokenOptions>
{
    public TokenOptionsValidator()
    {
        Setting(o => o.Lifetime).GreaterThan(TimeSpan.Zero);
        Setting(o => o.CacheLifetime).GreaterThanOrEqualTo(TimeSpan.Zero).LessThan(o => o.Lifetime);
    }
}

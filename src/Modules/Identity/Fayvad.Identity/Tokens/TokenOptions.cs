namespace Fayvad.Identity.Tokens;

internal sealed class TokenOptions
{
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a validated token is trusted without asking PostgreSQL again; zero turns the cache off (docs/adr/0014).</summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromSeconds(60);
}

internal sealed class LoginThrottleOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
    public int MaxFailuresPerUsername { get; set; } = 5;
    public int MaxFailuresPerClient { get; set; } = 20;
}

namespace Fayvad.Identity.Tokens;

internal sealed class TokenOptions
{
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

internal sealed class LoginThrottleOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
    public int MaxFailuresPerUsername { get; set; } = 5;
    public int MaxFailuresPerClient { get; set; } = 20;
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Fayvad.Shared.Options;
using FluentValidation;

namespace Fayvad.Shared.Health;

/// <summary>Bound from configuration section "Health".</summary>
public sealed class HealthOptions
{
    /// <summary>Longest one dependency check may take; past it the dependency counts as down.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a readiness result is reused, so frequent probes cost one check per dependency per period.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(3);
}

internal sealed class HealthOptionsValidator : OptionsValidator<HealthOptions>
{
    public HealthOptionsValidator()
    {
        Setting(o => o.CheckTimeout).GreaterThan(TimeSpan.Zero).LessThanOrEqualTo(TimeSpan.FromSeconds(30)).WithMessage("must be between 0 and 30 seconds");
        Setting(o => o.CacheDuration).GreaterThanOrEqualTo(TimeSpan.Zero).LessThanOrEqualTo(TimeSpan.FromMinutes(1)).WithMessage("must be between 0 and 60 seconds");
    }
}

/// <summary>
/// The readiness of the process: every health check tagged <see cref="Tag"/> (each module registers the checks of the
/// dependencies it owns), run in parallel, each under <see cref="HealthOptions.CheckTimeout"/>, the result reused for
/// <see cref="HealthOptions.CacheDuration"/>. Concurrent callers share one run.
/// </summary>
public sealed class Readiness(HealthCheckService checks, IOptions<HealthOptions> options, TimeProvider clock)
{
    public const string Tag = "ready";

    private readonly Lock _gate = new();
    private Task<ReadinessResult>? _current;
    private long _completedAt;

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var current = _current;
            if (current is null || (current.IsCompleted && clock.GetElapsedTime(_completedAt) >= options.Value.CacheDuration))
            {
                current = _current = RunAsync();
            }

            return current.WaitAsync(cancellationToken);
        }
    }

    private async Task<ReadinessResult> RunAsync()
    {
        var checkedAt = clock.GetUtcNow();
        // Not the caller's token: the run is shared, and each check has its own timeout.
        var report = await checks.CheckHealthAsync(r => r.Tags.Contains(Tag), CancellationToken.None);
        _completedAt = clock.GetTimestamp();
        return new ReadinessResult(report, checkedAt);
    }
}

/// <param name="CheckedAt">When the checks started: a cached result keeps its time.</param>
public sealed record ReadinessResult(HealthReport Report, DateTimeOffset CheckedAt)
{
    public bool IsReady => Report.Status == HealthStatus.Healthy;

    public bool IsHealthy(string check) => Report.Entries.TryGetValue(check, out var entry) && entry.Status == HealthStatus.Healthy;
}

/// <summary>What the health endpoints and the admin health page answer: each check's status and latency.</summary>
public sealed record ReadinessBody(string Status, DateTimeOffset CheckedAt, IReadOnlyDictionary<string, CheckBody> Checks)
{
    public static ReadinessBody From(ReadinessResult result) => new(
        Name(result.Report.Status),
        result.CheckedAt,
        result.Report.Entries.ToDictionary(e => e.Key, e => new CheckBody(
            Name(e.Value.Status),
            Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            Error(e.Value))));

    // A check's own description is written for users; an exception's message is not (it may name .NET types).
    private static string? Error(HealthReportEntry entry) => entry switch
    {
        { Status: HealthStatus.Healthy } => null,
        { Exception: OperationCanceledException } => "No answer in time.",
        { Exception: not null } => "The check failed unexpectedly.",
        _ => entry.Description ?? "The check failed.",
    };

    public static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

public sealed record CheckBody(
    string Status,
    double LatencyMs,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Error);

public static class ReadinessRegistration
{
    /// <summary>A module registers the check of a dependency it owns; it takes part in readiness.</summary>
    public static IServiceCollection AddReadinessCheck<T>(this IServiceCollection services, string name)
        where T : class, IHealthCheck
    {
        services.AddHealthChecks().AddCheck<T>(name, HealthStatus.Unhealthy, [Readiness.Tag]);
        return services;
    }

    /// <summary>The cached readiness, with every readiness check under the configured timeout.</summary>
    public static IServiceCollection AddReadiness(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<HealthOptions, HealthOptionsValidator>("Health");
        services.AddHealthChecks();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var registration in checks.Registrations.Where(r => r.Tags.Contains(Readiness.Tag)))
            {
                registration.Timeout = health.Value.CheckTimeout;
            }
        });
        services.AddSingleton<Readiness>();
        return services;
    }
}

using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Fayvad.Shared.Options;
using FluentValidation;

namespace Fayvad.Shared.Http;

/// <summary>One group's limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/> for each caller.</summary>
public sealed class RateLimitGroupOptions
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; }
}

/// <summary>Bound from configuration section "RateLimiting".</summary>
public sealed class RateLimitingOptions
{
    public const string Read = "read";
    public const string Write = "write";

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// By group name. "read" (GET, HEAD) and "write" (every other method) always exist; a module may add a group for
    /// its costly endpoints (<see cref="RateLimitGroups.AddRateLimitGroup"/>, <see cref="RateLimitGroups.WithRateLimitGroup{TBuilder}"/>).
    /// Defaults: generous for people and the Django client, a brake on a runaway script.
    /// </summary>
    public Dictionary<string, RateLimitGroupOptions> Groups { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Endpoint metadata: the rate-limit group an endpoint counts against, instead of read or write.</summary>
public sealed record RateLimitGroup(string Name);

/// <summary>
/// ASP.NET Core's rate limiter with one fixed window per (group, caller): the caller is the access token when the
/// request carries a valid one, else the client address. A refusal is 429 with Retry-After and <c>{"error"}</c>.
/// Limits are per process: behind several nodes each node counts for itself.
/// </summary>
public static class RateLimitGroups
{
    public static TBuilder WithRateLimitGroup<TBuilder>(this TBuilder builder, string group)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RateLimitGroup(group));

    public static IServiceCollection AddRateLimitGroups(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RateLimitingOptions, RateLimitingValidator>("RateLimiting");
        services.AddRateLimitGroup(RateLimitingOptions.Read, 1200, TimeSpan.FromMinutes(1));
        services.AddRateLimitGroup(RateLimitingOptions.Write, 600, TimeSpan.FromMinutes(1));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>>((limiter, configured) =>
        {
            var options = configured.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!options.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }

                var group = GroupOf(context, options);
                var limit = options.Groups[group];
                return RateLimitPartition.GetFixedWindowLimiter(group + "|" + CallerOf(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limit.PermitLimit,
                    Window = limit.Window,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });
        return services;
    }

    /// <summary>A group with its default limit; configuration (RateLimiting:Groups:NAME) overrides it.</summary>
    public static IServiceCollection AddRateLimitGroup(this IServiceCollection services, string name, int permitLimit, TimeSpan window) =>
        services.PostConfigure<RateLimitingOptions>(options =>
            options.Groups.TryAdd(name, new RateLimitGroupOptions { PermitLimit = permitLimit, Window = window }));

    internal static List<string> Problems(RateLimitingOptions options)
    {
        var problems = new List<string>();
        foreach (var required in new[] { RateLimitingOptions.Read, RateLimitingOptions.Write })
        {
            if (!options.Groups.ContainsKey(required))
            {
                problems.Add($"RateLimiting:Groups:{required} is missing.");
            }
        }

        foreach (var (name, limit) in options.Groups)
        {
            if (limit is null || limit.PermitLimit < 1)
            {
                problems.Add($"RateLimiting:Groups:{name}:PermitLimit must be at least 1.");
            }

            if (limit is null || limit.Window < TimeSpan.FromSeconds(1) || limit.Window > TimeSpan.FromHours(1))
            {
                problems.Add($"RateLimiting:Groups:{name}:Window must be between 00:00:01 and 01:00:00.");
            }
        }

        return problems;
    }

    /// <summary>The endpoint's own group when it names one that is configured, else read or write by method.</summary>
    private static string GroupOf(HttpContext context, RateLimitingOptions options)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RateLimitGroup>() is { } named && options.Groups.ContainsKey(named.Name))
        {
            return named.Name;
        }

        return HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            ? RateLimitingOptions.Read
            : RateLimitingOptions.Write;
    }

    /// <summary>
    /// The access token (its session id claim) of an authenticated caller; else the client address, so a stream of
    /// made-up tokens cannot open a partition each.
    /// </summary>
    private static string CallerOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.User.FindFirstValue(ClaimTypes.Sid) is { } session
            ? "token:" + session
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var response = rejected.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await response.WriteAsJsonAsync(new ErrorBody($"Too many requests. Try again in {seconds} s."), cancellationToken);
    }

    /// <summary>Groups are a dictionary filled by modules: one rule over the section, each problem naming its setting.</summary>
    internal sealed class RateLimitingValidator : OptionsValidator<RateLimitingOptions>
    {
        public RateLimitingValidator() =>
            RuleFor(o => o).Custom((options, context) => Problems(options).ForEach(problem => context.AddFailure(string.Empty, problem)));
    }
}

using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Shared.Health;

/// <summary>Liveness (the process answers) and readiness (its dependencies answer) for load balancers and operators.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app, string root)
    {
        // The original path: liveness, as it always was (plain "Healthy"); it runs no dependency check.
        app.MapHealthChecks(root + "/health", new HealthCheckOptions { Predicate = _ => false })
            .DisableRateLimiting();

        app.MapGet(root + "/health/live", () => TypedResults.Json(new LiveBody("healthy")))
            .AllowAnonymous().DisableRateLimiting().WithTags("Operations").WithName("HealthLive").Returns<LiveBody>();

        app.MapGet(root + "/health/ready", async (Readiness readiness, CancellationToken ct) =>
            {
                var result = await readiness.CheckAsync(ct);
                return TypedResults.Json(ReadinessBody.From(result),
                    statusCode: result.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
            })
            .AllowAnonymous().DisableRateLimiting().WithTags("Operations").WithName("HealthReady")
            .Returns<ReadinessBody>().Returns<ReadinessBody>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}

/// <summary>The process answers; nothing else is checked.</summary>
public sealed record LiveBody(string Status);

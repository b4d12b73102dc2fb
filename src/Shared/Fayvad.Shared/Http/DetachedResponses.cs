using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Fayvad.Shared.Http;

/// <summary>Endpoint metadata: the endpoint may hand the rest of its response over with <see cref="DetachedResponses.Detach"/>.</summary>
public sealed class DetachableResponse
{
    public static DetachableResponse Instance { get; } = new();

    private DetachableResponse()
    {
    }
}

/// <summary>
/// A response that goes on for hours after its request was accepted (an event stream). The endpoint checks and starts
/// it inside the usual pipeline (authentication, authorization, rate limits, error pages, log scopes: every refusal
/// answered as for any request), then hands the rest over with <see cref="Detach"/> and returns. The middleware finish
/// as for a short request, and the rest runs outside them, so an idle stream does not keep each one's suspended state,
/// the request's DI scope or the caller's claims for its whole life (docs/adr/0028). The request itself (its
/// connection, its logging scope, its activity and its "request finished" log line) lasts until the rest ends.
/// </summary>
public static class DetachedResponses
{
    /// <summary>Outside every middleware the rest should not run inside; cheap for other requests (one metadata look-up).</summary>
    public static IApplicationBuilder UseDetachedResponses(this IApplicationBuilder app) =>
        app.Use(next => context => context.GetEndpoint()?.Metadata.GetMetadata<DetachableResponse>() is null
            ? next(context)
            : RunAsync(context, next));

    public static TBuilder Detachable<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(DetachableResponse.Instance);

    /// <summary>
    /// Runs <paramref name="rest"/> once the pipeline has returned, and returns true; false when no
    /// <see cref="UseDetachedResponses"/> runs for this request, and the caller must run it itself. The rest must not use
    /// the request's services (<see cref="HttpContext.RequestServices"/>) or <see cref="HttpContext.User"/>: both are
    /// released before it runs.
    /// </summary>
    public static bool Detach(this HttpContext context, Func<Task> rest)
    {
        if (context.Features.Get<Handover>() is not { } handover)
        {
            return false;
        }

        handover.Rest = rest;
        return true;
    }

    private static async Task RunAsync(HttpContext context, RequestDelegate next)
    {
        var handover = new Handover();
        context.Features.Set(handover);
        await next(context);
        context.Features.Set<Handover>(null);
        if (handover.Rest is not { } rest)
        {
            return;
        }

        // What the request kept and the rest does not use: the DI scope with what the pipeline resolved in it (the
        // authentication handler and its result, the authorization service, the endpoint's services), the claims, and
        // the token's text in the request headers.
        if (context.Features.Get<IServiceProvidersFeature>() is IAsyncDisposable services)
        {
            await services.DisposeAsync();
        }

        context.User = new ClaimsPrincipal();
        context.Request.Headers.Authorization = default;
        await rest();
    }

    private sealed class Handover
    {
        public Func<Task>? Rest { get; set; }
    }
}

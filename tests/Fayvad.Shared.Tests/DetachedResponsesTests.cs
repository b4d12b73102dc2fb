using System.Security.Claims;
using System.Text;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Shared.Tests;

public sealed class DetachedResponsesTests
{
    private sealed class Scoped : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task A_detached_rest_runs_after_the_middleware_finished_without_the_request_scope_the_user_or_the_token()
    {
        var (pipeline, order) = Pipeline();
        var context = Request(detachable: true);

        await pipeline(context);

        Assert.Equal(["middleware before", "endpoint returned", "middleware after",
            "rest: scope disposed True, authenticated False, authorization header empty True"], order);
        Assert.Equal("accepted\nrest\n", Body(context));
    }

    [Fact]
    public async Task Without_the_endpoint_metadata_the_rest_runs_inside_the_pipeline()
    {
        var (pipeline, order) = Pipeline();
        var context = Request(detachable: false);

        await pipeline(context);

        Assert.Equal(["middleware before", "rest: scope disposed False, authenticated True, authorization header empty False",
            "endpoint returned", "middleware after"], order);
        Assert.Equal("accepted\nrest\n", Body(context));
    }

    private static (RequestDelegate Pipeline, List<string> Order) Pipeline()
    {
        var services = new ServiceCollection().AddScoped<Scoped>().BuildServiceProvider();
        var order = new List<string>();
        var app = new ApplicationBuilder(services);
        app.UseDetachedResponses();
        app.Use(async (context, next) =>
        {
            order.Add("middleware before");
            await next(context);
            order.Add("middleware after");
        });
        app.Run(async context =>
        {
            var scoped = context.RequestServices.GetRequiredService<Scoped>();
            await context.Response.WriteAsync("accepted\n");
            async Task Rest()
            {
                order.Add($"rest: scope disposed {scoped.Disposed}, authenticated {context.User.Identity?.IsAuthenticated == true}, "
                          + $"authorization header empty {context.Request.Headers.Authorization.Count == 0}");
                await context.Response.WriteAsync("rest\n");
            }

            if (!context.Detach(Rest))
            {
                await Rest();
            }

            order.Add("endpoint returned");
        });
        return (app.Build(), order);
    }

    private static DefaultHttpContext Request(bool detachable)
    {
        var services = new ServiceCollection().AddScoped<Scoped>().BuildServiceProvider();
        var context = new DefaultHttpContext
        {
            ServiceScopeFactory = services.GetRequiredService<IServiceScopeFactory>(),
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "1")], "test")),
        };
        context.Request.Headers.Authorization = "Bearer not-a-real-token";
        context.Response.Body = new MemoryStream();
        context.SetEndpoint(new Endpoint(null, detachable ? new EndpointMetadataCollection(DetachableResponse.Instance) : EndpointMetadataCollection.Empty, "test"));
        return context;
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Carter;
using Fayvad.Directory;
using Fayvad.Host;
using Fayvad.Identity;
using Fayvad.Mail;
using Fayvad.Shared.Health;
using Fayvad.Shared.Http;
using Fayvad.Shared.Text;
using Fayvad.Shared.Validation;
using Fayvad.Sync;
using Mediator;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
// `Fayvad.Host migrate` and the modules' commands (`Fayvad.Host dns-zone fayvad.com`) run and exit instead of serving.
var command = ModuleCommands.Named(args);
builder.WebHost.ConfigureKestrel(RequestEdge.Configure);

// One JSON object per log line, with the scopes (request id, trace id, user id); Logging:Console:FormatterName=simple
// gives the human-readable form instead.
if (builder.Configuration["Logging:Console:FormatterName"] is null)
{
    builder.Logging.AddJsonConsole(options =>
    {
        options.IncludeScopes = true;
        options.UseUtcTimestamp = true;
        options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
    });
}

// A command's answer is its standard output (a zone file, a check): the log goes to standard error.
if (command is not null)
{
    builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
}

builder.Services.ConfigureHttpJsonOptions(options =>
{
    // The Django client speaks snake_case.
    options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    options.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter());
    // NUL, control characters and broken Unicode are refused as the body is read, naming the field.
    options.SerializerOptions.Converters.Add(new SafeTextConverter());
});
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
SnakeCaseNames.UseForValidation();

builder.Services.AddSingleton(TimeProvider.System);
builder.Services
    .AddIdentityModule(builder.Configuration)
    .AddDirectoryModule(builder.Configuration)
    .AddMailModule(builder.Configuration)
    .AddSyncModule();

builder.Services.AddMediator((MediatorOptions options) =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.GenerateTypesAsInternal = true;
    options.Assemblies = [typeof(IdentityModule), typeof(DirectoryModule), typeof(MailModule), typeof(SyncModule)];
    options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
});

builder.Services.AddAuthorization();
// Validation runs in the mediator pipeline; Carter's own validator scan is not used.
builder.Services.AddCarter(configurator: carter => carter.WithEmptyValidators());
builder.Services.AddApiContract();
builder.Services.AddReadiness(builder.Configuration);
builder.Services.AddRateLimitGroups(builder.Configuration);
builder.AddTelemetry();
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddProblemDetails();
// Behind nginx on the same host (deploy/nginx, docs/adr/0024): the client address (rate limits, login throttle,
// metrics access) and https (absolute paging links) come from X-Forwarded-For/-Proto, believed only from loopback.
builder.Services.Configure<ForwardedHeadersOptions>(options =>
{
    options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor
        | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
    options.ForwardLimit = 1;
    options.KnownIPNetworks.Clear();
    options.KnownProxies.Clear();
    options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("127.0.0.0/8"));
    options.KnownProxies.Add(System.Net.IPAddress.IPv6Loopback);
});

// Who may call a route is decided before anything about its input (docs/adr/0032). Routing's content-type matcher
// would answer a wrong Content-Type with 415 before authentication and authorization run; DeclaredContentType does the
// same after them. Last, so no later AddRouting adds it back.
foreach (var matcher in builder.Services.Where(s => s.ServiceType == typeof(Microsoft.AspNetCore.Routing.MatcherPolicy)
    && s.ImplementationType?.Name == "AcceptsMatcherPolicy").ToList())
{
    builder.Services.Remove(matcher);
}

var app = builder.Build();

if (args.Contains("migrate"))
{
    // `Fayvad.Host migrate`: apply every module's migrations (and the demo seed when configured), then exit.
    await ModuleInitialization.RunAsync(app.Services, CancellationToken.None);
    return;
}

if (command is not null)
{
    Environment.ExitCode = await ModuleCommands.RunAsync(app.Services, command, args, CancellationToken.None);
    return;
}

// Every response, refusals included: a client must not guess a type the API did not declare (raw mail, attachments).
app.Use((context, next) =>
{
    context.Response.OnStarting(static state =>
    {
        ((HttpResponse)state).Headers.XContentTypeOptions = "nosniff";
        return Task.CompletedTask;
    }, context.Response);
    return next();
});
app.Use(RequestEdge.RefuseAsync);
app.UseForwardedHeaders();
// Outside the rest: an event stream, once accepted by the pipeline below, runs on without it (docs/adr/0028).
app.UseDetachedResponses();
app.UseExceptionHandler();
app.UseStatusCodePages(ErrorPages.WriteAsync);
app.Use(QueryGuard.RefuseControlCharactersAsync);
app.UseAuthentication();
app.UseUserLogScope();
// After authentication: a request is counted against its token, or its address when it has none.
app.UseRateLimiter();
app.UseAuthorization();
app.Use(DeclaredContentType.RefuseUndeclaredAsync);

app.MapOpenApi(OpenApiContract.DocumentPath);
// Everything the page needs is served from here (nothing may leave loopback): no fonts, telemetry or agent from Scalar.
app.MapScalarApiReference(OpenApiContract.DocsPath, options => options
    .WithOpenApiRoutePattern(OpenApiContract.DocumentPath).WithTitle("Fayvad mail API")
    .DisableDefaultFonts().DisableTelemetry().DisableAgent().DisableMcp()
    .AddPreferredSecuritySchemes("Bearer"));
app.MapMetrics();
// The error statuses every endpoint shares go into the document once, by convention (docs/adr/0022).
var api = app.MapGroup("");
((IEndpointConventionBuilder)api).Finally(OpenApiContract.AddSharedResponses);
api.MapHealthEndpoints(ApiRoutes.Root);
api.MapCarter();

await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in the API tests.</summary>
public partial class Program;

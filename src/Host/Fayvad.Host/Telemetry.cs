using FluentValidation;
using System.Net;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Fayvad.Shared.Options;

namespace Fayvad.Host;

/// <summary>Bound from configuration section "Telemetry".</summary>
internal sealed class TelemetryOptions
{
    public string ServiceName { get; set; } = "fayvad-api";
    public MetricsEndpointOptions Metrics { get; set; } = new();
    public OtlpOptions Otlp { get; set; } = new();
}

internal sealed class MetricsEndpointOptions
{
    public bool Enabled { get; set; } = true;
    public string Path { get; set; } = ApiRoutes.Root + "/metrics";

    /// <summary>Client networks (CIDR) that may scrape; empty means loopback only. Behind a proxy this is the forwarded client.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    internal IReadOnlyList<System.Net.IPNetwork> Networks() =>
        (AllowedNetworks.Count == 0 ? ["127.0.0.0/8", "::1/128"] : AllowedNetworks).Select(System.Net.IPNetwork.Parse).ToList();
}

internal sealed class OtlpOptions
{
    /// <summary>The collector, e.g. http://127.0.0.1:4318; empty (the default) sends nothing anywhere.</summary>
    public string? Endpoint { get; set; }

    public OtlpExportProtocol Protocol { get; set; } = OtlpExportProtocol.HttpProtobuf;
}

internal sealed class TelemetryOptionsValidator : OptionsValidator<TelemetryOptions>
{
    public TelemetryOptionsValidator()
    {
        Setting(o => o.ServiceName).NotEmpty();
        Setting(o => o.Metrics.Path).Must(p => p.StartsWith('/')).WithMessage("must start with '/'");
        EachSetting(o => o.Metrics.AllowedNetworks).Must(n => System.Net.IPNetwork.TryParse(n, out _)).WithMessage("must be CIDR ranges such as 127.0.0.0/8");
        Setting(o => o.Otlp.Endpoint).Must(e => string.IsNullOrEmpty(e) || Uri.TryCreate(e, UriKind.Absolute, out _)).WithMessage("must be an absolute URL");
    }
}

/// <summary>
/// Metrics (ASP.NET Core, HttpClient, Npgsql and the modules' own meters, named Fayvad.*) on a Prometheus scrape
/// endpoint; traces, metrics and logs over OTLP only when a collector is configured. Modules define their meters with
/// System.Diagnostics.Metrics and know nothing of OpenTelemetry.
/// </summary>
internal static class Telemetry
{
    public const string ModuleMeters = "Fayvad.*";

    /// <summary>The modules' spans, and MailKit's own (one span per IMAP or SMTP operation, by kind).</summary>
    public static readonly string[] TraceSources = ["Fayvad.*", "MailKit.Net.ImapClient", "MailKit.Net.SmtpClient"];

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Telemetry");
        builder.Services.AddValidatedOptions<TelemetryOptions, TelemetryOptionsValidator>("Telemetry");
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(ModuleMeters)
                .AddPrometheusExporter());

        if (options.Otlp.Endpoint is { Length: > 0 } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var collector))
        {
            // Traces only have somewhere to go when a collector is configured.
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(options.Metrics.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(TraceSources));
            telemetry.UseOtlpExporter(options.Otlp.Protocol, collector);
        }

        return builder;
    }

    public static WebApplication MapMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics;
        if (!options.Enabled)
        {
            return app;
        }

        var networks = options.Networks();
        app.MapPrometheusScrapingEndpoint(options.Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (!Allowed(context.Connection.RemoteIpAddress, networks))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsJsonAsync(new ErrorBody("Metrics are not served to this address."));
                    return;
                }

                await next(context);
            }), optionsName: null)
            .DisableRateLimiting()
            .ExcludeFromDescription();
        return app;
    }

    private static bool Allowed(IPAddress? address, IReadOnlyList<System.Net.IPNetwork> networks)
    {
        if (address is null)
        {
            return false;
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return networks.Any(n => n.Contains(plain));
    }
}

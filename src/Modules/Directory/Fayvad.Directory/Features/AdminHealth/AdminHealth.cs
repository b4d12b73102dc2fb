using Carter;
using Fayvad.Directory.Access;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Health;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Directory.Features.AdminHealth;

internal sealed record AdminHealthQuery : IQuery<Result<AdminHealthResponse>>;

/// <summary>
/// The client server's health page, from the same checks as <c>/health/ready</c>: <c>status</c> is healthy, degraded
/// (a mail server does not answer) or unhealthy (the database does not); each part is "ok", "unavailable" or
/// "unreachable"; <c>checks</c> has each check's status, latency and error. No cache server is used, and it says so (the checks' result is reused for a few seconds).
/// </summary>
internal sealed record AdminHealthResponse(
    string Status, string Database, string Cache, string Imap, string Smtp, DateTimeOffset Timestamp,
    IReadOnlyDictionary<string, CheckBody> Checks);

internal sealed class AdminHealthHandler(ICurrentUser caller, Readiness readiness, TimeProvider clock)
    : IQueryHandler<AdminHealthQuery, Result<AdminHealthResponse>>
{
    public async ValueTask<Result<AdminHealthResponse>> Handle(AdminHealthQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can see the platform's health.");
        }

        var result = await readiness.CheckAsync(cancellationToken);
        var databaseOk = result.IsHealthy("postgresql");
        var imapOk = result.IsHealthy("imap");
        var smtpOk = result.IsHealthy("smtp");
        var status = !databaseOk ? "unhealthy" : imapOk && smtpOk ? "healthy" : "degraded";
        return new AdminHealthResponse(
            status,
            databaseOk ? "ok" : "unavailable",
            "not used",
            imapOk ? "ok" : "unreachable",
            smtpOk ? "ok" : "unreachable",
            clock.GetUtcNow(),
            ReadinessBody.From(result).Checks);
    }
}

public sealed class AdminHealthEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/health", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new AdminHealthQuery(), ct)).ToOk())
            .RequireSuperadmin().WithTags("Directory").WithName("AdminHealth").Returns<AdminHealthResponse>().Fails(403);
    }
}

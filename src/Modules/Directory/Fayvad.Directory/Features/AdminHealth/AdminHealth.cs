using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fayvad.Directory.Features.AdminHealth;

internal sealed record AdminHealthQuery : IQuery<Result<AdminHealthResponse>>;

/// <summary>
/// The client server's health page: <c>status</c> is healthy, degraded (a mail server does not answer) or unhealthy
/// (the database does not); each part is "ok", "unavailable" or "unreachable". No cache is used, and it says so.
/// </summary>
internal sealed record AdminHealthResponse(string Status, string Database, string Cache, string Imap, string Smtp, DateTimeOffset Timestamp);

internal sealed class AdminHealthHandler(DirectoryDbContext db, ICurrentUser caller, IMailServerStatus mailServers, TimeProvider clock)
    : IQueryHandler<AdminHealthQuery, Result<AdminHealthResponse>>
{
    public async ValueTask<Result<AdminHealthResponse>> Handle(AdminHealthQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can see the platform's health.");
        }

        var mail = mailServers.CheckAsync(cancellationToken);
        var databaseOk = await DatabaseAnswersAsync(cancellationToken);
        var reach = await mail;
        var status = !databaseOk ? "unhealthy" : reach.ImapReachable && reach.SmtpReachable ? "healthy" : "degraded";
        return new AdminHealthResponse(
            status,
            databaseOk ? "ok" : "unavailable",
            "not used",
            reach.ImapReachable ? "ok" : "unreachable",
            reach.SmtpReachable ? "ok" : "unreachable",
            clock.GetUtcNow());
    }

    private async Task<bool> DatabaseAnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\"").SingleAsync(cancellationToken) == 1;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return false;
        }
    }
}

public sealed class AdminHealthEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/health", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new AdminHealthQuery(), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("AdminHealth").Returns<AdminHealthResponse>().Fails(403);
    }
}

using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.AdminAnalytics;

internal sealed record AdminAnalyticsQuery : IQuery<Result<AdminAnalyticsResponse>>;

internal sealed record AdminAnalyticsResponse(int TotalOrganizations, int ActiveOrganizations, int TotalUsers, int TotalEmailAccounts);

/// <summary>Platform-wide counts for the system admin.</summary>
internal sealed class AdminAnalyticsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<AdminAnalyticsQuery, Result<AdminAnalyticsResponse>>
{
    public async ValueTask<Result<AdminAnalyticsResponse>> Handle(AdminAnalyticsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can see platform analytics.");
        }

        return new AdminAnalyticsResponse(
            await db.Organizations.CountAsync(cancellationToken),
            await db.Organizations.CountAsync(o => o.Status == OrganizationStatus.Active, cancellationToken),
            await db.Users.CountAsync(cancellationToken),
            await db.EmailAccounts.CountAsync(cancellationToken));
    }
}

public sealed class AdminAnalyticsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/analytics", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new AdminAnalyticsQuery(), ct)).ToOk())
            .RequireSuperadmin().WithTags("Directory").WithName("AdminAnalytics").Returns<AdminAnalyticsResponse>().Fails(403);
    }
}

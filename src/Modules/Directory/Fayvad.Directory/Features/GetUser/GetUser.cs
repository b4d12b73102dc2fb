using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.GetUser;

internal sealed record GetUserQuery(long Id) : IQuery<Result<UserProfile>>;

/// <summary>One user, for themselves, their organization's admins, or a superadmin.</summary>
internal sealed class GetUserHandler(DirectoryDbContext db, ICurrentUser caller) : IQueryHandler<GetUserQuery, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(GetUserQuery query, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == query.Id).SelectProfile(db).SingleOrDefaultAsync(cancellationToken);
        var maySee = user is not null && (user.Id == caller.UserId || caller.IsSuperadmin()
            || (caller.IsAdmin() && user.Organization is { } org && caller.CanManage(org.Id)));

        // Outside the caller's scope a user is reported as absent, so ids cannot be probed.
        return maySee ? user! : Error.NotFound("User not found.");
    }
}

public sealed class GetUserEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/users/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
            (await sender.Send(new GetUserQuery(id), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("GetUser").Returns<UserProfile>();
    }
}

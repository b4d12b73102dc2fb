using Carter;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.Me;

internal sealed record MeQuery : IQuery<Result<UserProfile>>;

internal sealed class MeHandler(ICurrentUser caller, IDirectoryProfiles profiles) : IQueryHandler<MeQuery, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(MeQuery query, CancellationToken cancellationToken) =>
        await profiles.GetProfileAsync(caller.UserId, cancellationToken) is { } profile
            ? profile
            : Error.Unauthorized("User inactive or deleted.");
}

public sealed class MeEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/auth/me", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new MeQuery(), ct)).ToOk()).RequireAuthorization().WithTags("Identity").WithName("Me").Returns<UserProfile>();
    }
}

using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>One alias; another organization's is not found (404), as with mailboxes.</summary>
internal sealed record GetAliasQuery(long Id) : IQuery<Result<AliasDto>>;

internal sealed class GetAliasHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock) : IQueryHandler<GetAliasQuery, Result<AliasDto>>
{
    public async ValueTask<Result<AliasDto>> Handle(GetAliasQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can read aliases.");
        }

        var alias = await db.Aliases.AsNoTracking().Where(a => a.Id == query.Id).SelectDto(clock.GetUtcNow()).SingleOrDefaultAsync(cancellationToken);
        return alias is null || !caller.CanManage(alias.OrganizationId) ? Error.NotFound("Alias not found.") : alias;
    }
}

public sealed class GetAliasEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/aliases/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetAliasQuery(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("GetAlias").Returns<AliasDto>().Fails(403);
    }
}

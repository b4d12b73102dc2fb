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

namespace Fayvad.Directory.Features.GetOrganization;

/// <summary>One organization as the list shows it; a superadmin sees any, an org admin their own.</summary>
internal sealed record GetOrganizationQuery(long Id) : IQuery<Result<OrganizationDto>>;

internal sealed class GetOrganizationHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<GetOrganizationQuery, Result<OrganizationDto>>
{
    public async ValueTask<Result<OrganizationDto>> Handle(GetOrganizationQuery query, CancellationToken cancellationToken)
    {
        var organization = caller.IsAdmin() && caller.CanManage(query.Id)
            ? await db.Organizations.AsNoTracking().Where(o => o.Id == query.Id).SelectDto(db).SingleOrDefaultAsync(cancellationToken)
            : null;
        return organization is null ? Error.NotFound("Organization not found.") : organization;
    }
}

public sealed class GetOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/organizations/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetOrganizationQuery(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("GetOrganization").Returns<OrganizationDto>();
    }
}

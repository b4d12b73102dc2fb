using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.ListOrganizations;

internal sealed record ListOrganizationsQuery(ListWindow Window) : IQuery<Result<ListSlice<OrganizationDto>>>, IListRequest;

internal sealed class ListOrganizationsValidator : AbstractValidator<ListOrganizationsQuery>
{
    public ListOrganizationsValidator() => Include(new ListWindowRules<ListOrganizationsQuery>());
}

internal sealed class ListOrganizationsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListOrganizationsQuery, Result<ListSlice<OrganizationDto>>>
{
    public async ValueTask<Result<ListSlice<OrganizationDto>>> Handle(ListOrganizationsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can list organizations.");
        }

        return await db.Organizations.AsNoTracking().OrderBy(o => o.Name).ToSliceAsync(query.Window, o => o.SelectDto(db), cancellationToken);
    }
}

public sealed class ListOrganizationsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/organizations", async Task<IResult> ([AsParameters] ListParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var window = parameters.Window();
            var result = await sender.Send(new ListOrganizationsQuery(window), ct);
            return result.ToHttp(slice => slice.ToListResult(window, request));
        }).RequireSuperadmin().WithTags("Directory").WithName("ListOrganizations").ReturnsList<OrganizationDto>().Fails(403);
    }
}

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

internal sealed record ListOrganizationsQuery(int Page, int Limit) : IQuery<Result<Page<OrganizationDto>>>, IPagedRequest;

internal sealed record ListOrganizationsResponse(
    IReadOnlyList<OrganizationDto> Organizations, int Total, int Page, int Limit, bool HasNext, bool HasPrev);

internal sealed class ListOrganizationsValidator : AbstractValidator<ListOrganizationsQuery>
{
    public ListOrganizationsValidator() => Include(new PagingRules<ListOrganizationsQuery>());
}

internal sealed class ListOrganizationsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListOrganizationsQuery, Result<Page<OrganizationDto>>>
{
    public async ValueTask<Result<Page<OrganizationDto>>> Handle(ListOrganizationsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can list organizations.");
        }

        var organizations = db.Organizations.AsNoTracking();
        var total = await organizations.CountAsync(cancellationToken);
        var items = await organizations.OrderBy(o => o.Name).Skip(query.Skip()).Take(query.Limit)
            .SelectDto(db).ToListAsync(cancellationToken);
        return new Page<OrganizationDto>(items, total, query.Page, query.Limit);
    }
}

public sealed class ListOrganizationsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/admin/organizations", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var result = await sender.Send(new ListOrganizationsQuery(request.Query.PageOrDefault(), request.Query.LimitOrDefault()), ct);
            return result.ToHttp(page => Results.Ok(new ListOrganizationsResponse(
                page.Items, page.Total, page.PageNumber, page.Limit, page.HasNext, page.HasPrev)));
        }).RequireAuthorization().WithTags("Directory").WithName("ListOrganizations");
    }
}

using System.ComponentModel;
using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.ListDomains;

/// <summary>The domains the caller may see: a bare array (the client's pages), a DRF page on request.</summary>
internal sealed record ListDomainsQuery(ListWindow Window, long? Organization) : IQuery<Result<ListSlice<DomainDto>>>, IListRequest;

internal sealed class ListDomainsValidator : AbstractValidator<ListDomainsQuery>
{
    public ListDomainsValidator()
    {
        Include(new ListWindowRules<ListDomainsQuery>());
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
    }
}

internal sealed class ListDomainsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListDomainsQuery, Result<ListSlice<DomainDto>>>
{
    public async ValueTask<Result<ListSlice<DomainDto>>> Handle(ListDomainsQuery query, CancellationToken cancellationToken)
    {
        var domains = db.Domains.AsNoTracking().VisibleTo(caller);
        if (caller.Role == UserRole.Superadmin && query.Organization is { } org)
        {
            domains = domains.Where(d => d.OrganizationId == org);
        }

        return await domains.OrderBy(d => d.Name).ToSliceAsync(query.Window, d => d.SelectDto(db), cancellationToken);
    }
}

internal sealed class ListDomainsParameters : ListParameters
{
    [FromQuery(Name = "organization"), Description("Only this organization's domains (superadmin)."), Minimum(1)]
    public WholeNumber? Organization { get; init; }
}

public sealed class ListDomainsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/domains", async Task<IResult> ([AsParameters] ListDomainsParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var window = parameters.Window();
            var result = await sender.Send(new ListDomainsQuery(window, parameters.Organization.AsLong()), ct);
            return result.ToHttp(slice => slice.ToListResult(window, request));
        }).RequireAuthorization().WithTags("Directory").WithName("ListDomains").ReturnsList<DomainDto>();
    }
}

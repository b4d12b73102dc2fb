using Carter;
using FluentValidation;
using Fayvad.Directory.Contracts;
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

namespace Fayvad.Directory.Features.ListDomains;

internal sealed record ListDomainsQuery(int Page, int Limit, long? Organization) : IQuery<Result<Page<DomainDto>>>, IPagedRequest;

internal sealed record ListDomainsResponse(IReadOnlyList<DomainDto> Domains, int Total, int Page, int Limit, bool HasNext, bool HasPrev);

internal sealed class ListDomainsValidator : AbstractValidator<ListDomainsQuery>
{
    public ListDomainsValidator()
    {
        Include(new PagingRules<ListDomainsQuery>());
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
    }
}

internal sealed class ListDomainsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListDomainsQuery, Result<Page<DomainDto>>>
{
    public async ValueTask<Result<Page<DomainDto>>> Handle(ListDomainsQuery query, CancellationToken cancellationToken)
    {
        var domains = db.Domains.AsNoTracking();
        domains = caller.Role switch
        {
            UserRole.Superadmin when query.Organization is { } org => domains.Where(d => d.OrganizationId == org),
            UserRole.Superadmin => domains,
            UserRole.OrgAdmin => domains.Where(d => d.OrganizationId == caller.OrganizationId),
            // A mailbox user sees the domain of their own mailbox.
            _ => domains.Where(d => d.Accounts.Any(a => a.UserId == caller.UserId)),
        };

        var total = await domains.CountAsync(cancellationToken);
        var items = await domains.OrderBy(d => d.Name).Skip(query.Skip()).Take(query.Limit).SelectDto(db).ToListAsync(cancellationToken);
        return new Page<DomainDto>(items, total, query.Page, query.Limit);
    }
}

public sealed class ListDomainsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/domains", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var q = request.Query;
            var result = await sender.Send(new ListDomainsQuery(q.PageOrDefault(), q.LimitOrDefault(), q.LongValue("organization")), ct);
            return result.ToHttp(page => Results.Ok(new ListDomainsResponse(
                page.Items, page.Total, page.PageNumber, page.Limit, page.HasNext, page.HasPrev)));
        }).RequireAuthorization().WithTags("Directory").WithName("ListDomains");
    }
}

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

namespace Fayvad.Directory.Features.ListEmailAccounts;

internal sealed record ListEmailAccountsQuery(int Page, int Limit, long? Organization, string? Domain, string? Search)
    : IQuery<Result<Page<EmailAccountDto>>>, IPagedRequest;

internal sealed record ListEmailAccountsResponse(
    IReadOnlyList<EmailAccountDto> EmailAccounts, int Total, int Page, int Limit, bool HasNext, bool HasPrev);

internal sealed class ListEmailAccountsValidator : AbstractValidator<ListEmailAccountsQuery>
{
    public ListEmailAccountsValidator()
    {
        Include(new PagingRules<ListEmailAccountsQuery>());
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
        RuleFor(q => q.Search).MaximumLength(254);
    }
}

internal sealed class ListEmailAccountsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListEmailAccountsQuery, Result<Page<EmailAccountDto>>>
{
    public async ValueTask<Result<Page<EmailAccountDto>>> Handle(ListEmailAccountsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can list the organization's email accounts.");
        }

        var scope = caller.ResolveOrganization(query.Organization);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        if (scope.Value is not { } organizationId)
        {
            return Error.Validation("organization", "organization is required: pass ?organization=<id>.");
        }

        if (!await db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken))
        {
            return Error.NotFound("Organization not found.");
        }

        var accounts = db.EmailAccounts.AsNoTracking().Where(a => a.Domain.OrganizationId == organizationId);
        if (query.Domain is { } domain)
        {
            var name = domain.ToLowerInvariant();
            accounts = accounts.Where(a => a.Domain.Name == name);
        }

        if (query.Search is { } search)
        {
            var pattern = LikePattern.Contains(search);
            accounts = accounts.Where(a => EF.Functions.ILike(a.Address, pattern) || EF.Functions.ILike(a.DisplayName, pattern));
        }

        var total = await accounts.CountAsync(cancellationToken);
        var items = await accounts.OrderBy(a => a.Address).Skip(query.Skip()).Take(query.Limit).SelectDto(db).ToListAsync(cancellationToken);
        return new Page<EmailAccountDto>(items, total, query.Page, query.Limit);
    }
}

public sealed class ListEmailAccountsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/email-accounts", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var q = request.Query;
            var result = await sender.Send(new ListEmailAccountsQuery(
                q.PageOrDefault(), q.LimitOrDefault(), q.LongValue("organization"), q.StringValue("domain"), q.StringValue("search")), ct);
            return result.ToHttp(page => Results.Ok(new ListEmailAccountsResponse(
                page.Items, page.Total, page.PageNumber, page.Limit, page.HasNext, page.HasPrev)));
        }).RequireAuthorization().WithTags("Directory").WithName("ListEmailAccounts");
    }
}

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

namespace Fayvad.Directory.Features.ListUsers;

internal sealed record ListUsersQuery(int Page, int Limit, string? Search, long? Organization)
    : IQuery<Result<Page<UserProfile>>>, IPagedRequest;

internal sealed record ListUsersResponse(IReadOnlyList<UserProfile> Users, int Total, int Page, int Limit, bool HasNext, bool HasPrev);

internal sealed class ListUsersValidator : AbstractValidator<ListUsersQuery>
{
    public ListUsersValidator()
    {
        Include(new PagingRules<ListUsersQuery>());
        RuleFor(q => q.Search).MaximumLength(254);
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
    }
}

internal sealed class ListUsersHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListUsersQuery, Result<Page<UserProfile>>>
{
    public async ValueTask<Result<Page<UserProfile>>> Handle(ListUsersQuery query, CancellationToken cancellationToken)
    {
        var users = db.Users.AsNoTracking();
        users = caller.Role switch
        {
            UserRole.Superadmin when query.Organization is { } org => users.Where(u => u.OrganizationId == org),
            UserRole.Superadmin => users,
            UserRole.OrgAdmin => users.Where(u => u.OrganizationId == caller.OrganizationId),
            _ => users.Where(u => u.Id == caller.UserId),
        };

        if (query.Search is { } search)
        {
            var pattern = LikePattern.Contains(search);
            users = users.Where(u => EF.Functions.ILike(u.Username, pattern) || EF.Functions.ILike(u.Email, pattern)
                || EF.Functions.ILike(u.FirstName + " " + u.LastName, pattern));
        }

        var total = await users.CountAsync(cancellationToken);
        var items = await users.OrderBy(u => u.Username).Skip(query.Skip()).Take(query.Limit)
            .SelectProfile(db).ToListAsync(cancellationToken);
        return new Page<UserProfile>(items, total, query.Page, query.Limit);
    }
}

public sealed class ListUsersEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/users", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var q = request.Query;
            var result = await sender.Send(
                new ListUsersQuery(q.PageOrDefault(), q.LimitOrDefault(), q.StringValue("search"), q.LongValue("organization")), ct);
            return result.ToHttp(page => Results.Ok(new ListUsersResponse(
                page.Items, page.Total, page.PageNumber, page.Limit, page.HasNext, page.HasPrev)));
        }).RequireAuthorization().WithTags("Directory").WithName("ListUsers");
    }
}

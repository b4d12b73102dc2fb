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
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.ListUsers;

/// <summary>
/// Users in the caller's scope: all (superadmin, optionally one organization), the organization's (org admin), or
/// only themselves. <c>OrganizationOnly</c> is the client server's org/users: one organization's users, for its admins.
/// </summary>
internal sealed record ListUsersQuery(ListWindow Window, string? Search, long? Organization, bool OrganizationOnly = false)
    : IQuery<Result<ListSlice<UserProfile>>>, IListRequest;

internal sealed class ListUsersValidator : AbstractValidator<ListUsersQuery>
{
    public ListUsersValidator()
    {
        Include(new ListWindowRules<ListUsersQuery>());
        RuleFor(q => q.Search).MaximumLength(254);
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
    }
}

internal sealed class ListUsersHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListUsersQuery, Result<ListSlice<UserProfile>>>
{
    public async ValueTask<Result<ListSlice<UserProfile>>> Handle(ListUsersQuery query, CancellationToken cancellationToken)
    {
        var users = db.Users.AsNoTracking();
        if (query.OrganizationOnly)
        {
            var scope = caller.RequireOrganization(query.Organization, "Only an organization administrator can list the organization's users.");
            if (!scope.IsSuccess)
            {
                return scope.Error;
            }

            var organizationId = scope.Value;
            users = users.Where(u => u.OrganizationId == organizationId);
        }
        else
        {
            users = caller.Role switch
            {
                UserRole.Superadmin when query.Organization is { } org => users.Where(u => u.OrganizationId == org),
                UserRole.Superadmin => users,
                UserRole.OrgAdmin => users.Where(u => u.OrganizationId == caller.OrganizationId),
                _ => users.Where(u => u.Id == caller.UserId),
            };
        }

        if (query.Search is { } search)
        {
            var pattern = LikePattern.Contains(search);
            users = users.Where(u => EF.Functions.ILike(u.Username, pattern) || EF.Functions.ILike(u.Email, pattern)
                || EF.Functions.ILike(u.FirstName + " " + u.LastName, pattern));
        }

        return await users.OrderBy(u => u.Username).ToSliceAsync(query.Window, u => u.SelectProfile(db), cancellationToken);
    }
}

public sealed class ListUsersEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/users", (HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(request, sender, organizationOnly: false, ct))
            .RequireAuthorization().WithTags("Directory").WithName("ListUsers").ReturnsList<UserProfile>().Fails(403).Query("organization", QueryType.Number, "Only this organization's users (superadmin).", minimum: 1).Query("search", QueryType.Text, "Part of the username, email or name.");

        app.MapGet(ApiRoutes.Root + "/org/users", (HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(request, sender, organizationOnly: true, ct))
            .RequireAdmin().WithTags("Directory").WithName("ListOrganizationUsers").ReturnsList<UserProfile>().Fails(403).Query("organization", QueryType.Number, "Only this organization's users (superadmin).", minimum: 1).Query("search", QueryType.Text, "Part of the username, email or name.");
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ISender sender, bool organizationOnly, CancellationToken ct)
    {
        var q = request.Query;
        var window = ListWindow.From(q);
        var result = await sender.Send(new ListUsersQuery(window, q.StringValue("search"), q.LongValue("organization"), organizationOnly), ct);
        return result.ToHttp(slice => slice.ToListResult(window, request));
    }
}

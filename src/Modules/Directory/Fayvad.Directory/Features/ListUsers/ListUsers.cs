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
            users = users.Where(u => EF.Functions.ILike(u.Username, pattern, LikePattern.Escape) || EF.Functions.ILike(u.Email, pattern, LikePattern.Escape)
                || EF.Functions.ILike(u.FirstName + " " + u.LastName, pattern, LikePattern.Escape));
        }

        return await users.OrderBy(u => u.Username).ToSliceAsync(query.Window, u => u.SelectProfile(db), cancellationToken);
    }
}

internal sealed class ListUsersParameters : ListParameters
{
    [FromQuery(Name = "organization"), Description("Only this organization's users (superadmin)."), Minimum(1)]
    public WholeNumber? Organization { get; init; }

    [FromQuery(Name = "search"), Description("Part of the username, email or name.")]
    public string? Search { get; init; }
}

public sealed class ListUsersEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/users", ([AsParameters] ListUsersParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(parameters, request, sender, organizationOnly: false, ct))
            .RequireAuthorization().WithTags("Directory").WithName("ListUsers").ReturnsList<UserProfile>().Fails(403);

        app.MapGet(ApiRoutes.Root + "/org/users", ([AsParameters] ListUsersParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(parameters, request, sender, organizationOnly: true, ct))
            .RequireAdmin().WithTags("Directory").WithName("ListOrganizationUsers").ReturnsList<UserProfile>().Fails(403);
    }

    private static async Task<IResult> ListAsync(ListUsersParameters parameters, HttpRequest request, ISender sender, bool organizationOnly, CancellationToken ct)
    {
        var window = parameters.Window();
        var result = await sender.Send(new ListUsersQuery(window, parameters.Search.Trimmed(), parameters.Organization.AsLong(), organizationOnly), ct);
        return result.ToHttp(slice => slice.ToListResult(window, request));
    }
}

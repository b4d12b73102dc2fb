using System.ComponentModel;
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
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>
/// The aliases a caller administers: the organization's for an org admin, every one for a superadmin (optionally
/// <c>?organization=</c>). A bare array, or the DRF page form when a page is asked for, like the other directory lists.
/// </summary>
internal sealed record ListAliasesQuery(ListWindow Window, long? Organization, string? Domain, string? Search)
    : IQuery<Result<ListSlice<AliasDto>>>, IListRequest;

internal sealed class ListAliasesValidator : AbstractValidator<ListAliasesQuery>
{
    public ListAliasesValidator()
    {
        Include(new ListWindowRules<ListAliasesQuery>());
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
        RuleFor(q => q.Domain).MaximumLength(253);
        RuleFor(q => q.Search).MaximumLength(254);
    }
}

internal sealed class ListAliasesHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : IQueryHandler<ListAliasesQuery, Result<ListSlice<AliasDto>>>
{
    public async ValueTask<Result<ListSlice<AliasDto>>> Handle(ListAliasesQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can list the organization's aliases.");
        }

        if (caller.Role == Contracts.UserRole.OrgAdmin && caller.OrganizationId is null)
        {
            return Error.Validation("organization", "You do not belong to an organization.");
        }

        var scope = caller.ResolveOrganization(query.Organization);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var aliases = db.Aliases.AsNoTracking();
        if (scope.Value is { } organizationId)
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken))
            {
                return Error.NotFound("Organization not found.");
            }

            aliases = aliases.Where(a => a.Domain.OrganizationId == organizationId);
        }

        if (query.Domain is { } domain)
        {
            var name = domain.Trim().ToLowerInvariant();
            aliases = aliases.Where(a => a.Domain.Name == name);
        }

        if (query.Search is { } search)
        {
            var pattern = LikePattern.Contains(search);
            aliases = aliases.Where(a => EF.Functions.ILike(a.Address, pattern, LikePattern.Escape) || EF.Functions.ILike(a.Description, pattern, LikePattern.Escape));
        }

        var now = clock.GetUtcNow();
        return await aliases.OrderBy(a => a.Address).ToSliceAsync(query.Window, a => a.SelectDto(now), cancellationToken);
    }
}

internal sealed class ListAliasesParameters : ListParameters
{
    [FromQuery(Name = "organization"), Description("Only this organization's aliases (superadmin)."), Minimum(1)]
    public WholeNumber? Organization { get; init; }

    [FromQuery(Name = "domain"), Description("Only this domain's aliases (a domain name).")]
    public string? Domain { get; init; }

    [FromQuery(Name = "search"), Description("Part of the address or description.")]
    public string? Search { get; init; }
}

public sealed class ListAliasesEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/aliases", async ([AsParameters] ListAliasesParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            {
                var window = parameters.Window();
                var result = await sender.Send(
                    new ListAliasesQuery(window, parameters.Organization.AsLong(), parameters.Domain.Trimmed(), parameters.Search.Trimmed()), ct);
                return result.ToHttp(slice => slice.ToListResult(window, request));
            })
            .RequireAdmin().WithTags("Directory").WithName("ListAliases").ReturnsList<AliasDto>().Fails(403, 404);
    }
}

using System.ComponentModel;
using Carter;
using FluentValidation;
using Fayvad.Directory.Accounts;
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

namespace Fayvad.Directory.Features.ListEmailAccounts;

/// <summary>
/// The email accounts a caller administers: every account for a superadmin (optionally <c>?organization=</c>), the
/// organization's for an org admin. The client sends no query at all and reads a bare array.
/// </summary>
internal sealed record ListEmailAccountsQuery(ListWindow Window, long? Organization, string? Domain, string? Search, bool SuperadminOnly = false)
    : IQuery<Result<ListSlice<EmailAccountDto>>>, IListRequest;

internal sealed class ListEmailAccountsValidator : AbstractValidator<ListEmailAccountsQuery>
{
    public ListEmailAccountsValidator()
    {
        Include(new ListWindowRules<ListEmailAccountsQuery>());
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
        RuleFor(q => q.Search).MaximumLength(254);
    }
}

internal sealed class ListEmailAccountsHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListEmailAccountsQuery, Result<ListSlice<EmailAccountDto>>>
{
    public async ValueTask<Result<ListSlice<EmailAccountDto>>> Handle(ListEmailAccountsQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin() || (query.SuperadminOnly && !caller.IsSuperadmin()))
        {
            return Error.Forbidden(query.SuperadminOnly
                ? "Only a superadmin can list every email account."
                : "Only an organization administrator can list the organization's email accounts.");
        }

        if (caller.Role == UserRole.OrgAdmin && caller.OrganizationId is null)
        {
            return Error.Validation("organization", "You do not belong to an organization.");
        }

        var scope = caller.ResolveOrganization(query.Organization);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var accounts = db.EmailAccounts.AsNoTracking();
        if (scope.Value is { } organizationId)
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken))
            {
                return Error.NotFound("Organization not found.");
            }

            accounts = accounts.Where(a => a.Domain.OrganizationId == organizationId);
        }

        if (query.Domain is { } domain)
        {
            var name = domain.ToLowerInvariant();
            accounts = accounts.Where(a => a.Domain.Name == name);
        }

        if (query.Search is { } search)
        {
            var pattern = LikePattern.Contains(search);
            accounts = accounts.Where(a => EF.Functions.ILike(a.Address, pattern, LikePattern.Escape) || EF.Functions.ILike(a.DisplayName, pattern, LikePattern.Escape)
                || EF.Functions.ILike(a.User.FirstName + " " + a.User.LastName, pattern, LikePattern.Escape));
        }

        return await accounts.OrderBy(a => a.Address).ToSliceAsync(query.Window, a => a.SelectDto(db), cancellationToken);
    }
}

internal abstract class ListEmailAccountsParameters : ListParameters
{
    public abstract WholeNumber? Organization { get; init; }

    [FromQuery(Name = "domain"), Description("Only this domain's accounts (a domain name or id).")]
    public string? Domain { get; init; }

    [FromQuery(Name = "search"), Description("Part of the address or name.")]
    public string? Search { get; init; }
}

internal sealed class OrganizationEmailAccountsParameters : ListEmailAccountsParameters
{
    [FromQuery(Name = "organization"), Description("Only this organization's accounts (superadmin)."), Minimum(1)]
    public override WholeNumber? Organization { get; init; }
}

internal sealed class AllEmailAccountsParameters : ListEmailAccountsParameters
{
    [FromQuery(Name = "organization"), Description("Only this organization's accounts."), Minimum(1)]
    public override WholeNumber? Organization { get; init; }
}

public sealed class ListEmailAccountsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/email-accounts", ([AsParameters] OrganizationEmailAccountsParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(parameters, request, sender, superadminOnly: false, ct))
            .RequireAdmin().WithTags("Directory").WithName("ListEmailAccounts").ReturnsList<EmailAccountDto>().Fails(403, 404);

        // The client's server: every account of the platform, for the system admin.
        app.MapGet(ApiRoutes.Root + "/admin/email-accounts", ([AsParameters] AllEmailAccountsParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(parameters, request, sender, superadminOnly: true, ct))
            .RequireSuperadmin().WithTags("Directory").WithName("ListAllEmailAccounts").ReturnsList<EmailAccountDto>().Fails(403, 404);
    }

    private static async Task<IResult> ListAsync(ListEmailAccountsParameters parameters, HttpRequest request, ISender sender, bool superadminOnly, CancellationToken ct)
    {
        var window = parameters.Window();
        var result = await sender.Send(new ListEmailAccountsQuery(
            window, parameters.Organization.AsLong(), parameters.Domain.Trimmed(), parameters.Search.Trimmed(), superadminOnly), ct);
        return result.ToHttp(slice => slice.ToListResult(window, request));
    }
}

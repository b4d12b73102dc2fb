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
            accounts = accounts.Where(a => EF.Functions.ILike(a.Address, pattern) || EF.Functions.ILike(a.DisplayName, pattern)
                || EF.Functions.ILike(a.User.FirstName + " " + a.User.LastName, pattern));
        }

        return await accounts.OrderBy(a => a.Address).ToSliceAsync(query.Window, a => a.SelectDto(db), cancellationToken);
    }
}

public sealed class ListEmailAccountsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/email-accounts", (HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(request, sender, superadminOnly: false, ct))
            .RequireAdmin().WithTags("Directory").WithName("ListEmailAccounts").ReturnsList<EmailAccountDto>().Fails(403, 404).Query("organization", QueryType.Number, "Only this organization's accounts (superadmin).", minimum: 1).Query("domain", QueryType.Text, "Only this domain's accounts (a domain name or id).").Query("search", QueryType.Text, "Part of the address or name.");

        // The client's server: every account of the platform, for the system admin.
        app.MapGet(ApiRoutes.Root + "/admin/email-accounts", (HttpRequest request, ISender sender, CancellationToken ct) =>
            ListAsync(request, sender, superadminOnly: true, ct))
            .RequireSuperadmin().WithTags("Directory").WithName("ListAllEmailAccounts").ReturnsList<EmailAccountDto>().Fails(403, 404).Query("organization", QueryType.Number, "Only this organization's accounts.", minimum: 1).Query("domain", QueryType.Text, "Only this domain's accounts (a domain name or id).").Query("search", QueryType.Text, "Part of the address or name.");
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ISender sender, bool superadminOnly, CancellationToken ct)
    {
        var q = request.Query;
        var window = ListWindow.From(q);
        var result = await sender.Send(new ListEmailAccountsQuery(
            window, q.LongValue("organization"), q.StringValue("domain"), q.StringValue("search"), superadminOnly), ct);
        return result.ToHttp(slice => slice.ToListResult(window, request));
    }
}

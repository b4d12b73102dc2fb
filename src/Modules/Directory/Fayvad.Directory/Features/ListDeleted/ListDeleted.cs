using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.ListDeleted;

/// <summary>
/// What an admin can still restore, newest deletion first: <c>GET {collection}/deleted/</c> for organizations, domains,
/// email accounts, users and aliases. A bare array, or a Django REST framework page on request, like the other lists.
/// </summary>
internal sealed record ListDeletedQuery(DeletedKind Kind, ListWindow Window) : IQuery<Result<ListSlice<DeletedItem>>>, IListRequest;

/// <summary>A deleted entry: <c>mailboxes</c> is how many mailboxes come back if it is restored.</summary>
internal sealed record DeletedItem(
    long Id,
    string Kind,
    string Name,
    OrganizationRef? Organization,
    int Mailboxes,
    DateTimeOffset DeletedAt,
    DateTimeOffset RestorableUntil);

internal sealed class ListDeletedValidator : AbstractValidator<ListDeletedQuery>
{
    public ListDeletedValidator() => Include(new ListWindowRules<ListDeletedQuery>());
}

internal sealed class ListDeletedHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListDeletedQuery, Result<ListSlice<DeletedItem>>>
{
    public async ValueTask<Result<ListSlice<DeletedItem>>> Handle(ListDeletedQuery query, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin() || (query.Kind == DeletedKind.Organization && !caller.IsSuperadmin()))
        {
            return Error.Forbidden("Only an administrator can list what was deleted.");
        }

        var all = caller.IsSuperadmin();
        var org = caller.OrganizationId;
        var kind = query.Kind.Wire();
        var accounts = db.EmailAccounts.IgnoreQueryFilters();
        var items = query.Kind switch
        {
            DeletedKind.Organization => db.Organizations.Restorable().OrderByDescending(o => o.DeletedAt).ThenBy(o => o.Id).Select(o => new DeletedItem(
                o.Id, kind, o.Name, null,
                accounts.Count(a => a.Domain.OrganizationId == o.Id && a.DeletedAt == o.DeletedAt),
                o.DeletedAt!.Value, o.PurgeAfter!.Value)),
            DeletedKind.Domain => db.Domains.Restorable().Where(d => all || d.OrganizationId == org)
                .OrderByDescending(d => d.DeletedAt).ThenBy(d => d.Id).Select(d => new DeletedItem(
                d.Id, kind, d.Name, new OrganizationRef(d.Organization.Id, d.Organization.Name, d.Organization.Slug),
                accounts.Count(a => a.DomainId == d.Id && a.DeletedAt == d.DeletedAt),
                d.DeletedAt!.Value, d.PurgeAfter!.Value)),
            DeletedKind.EmailAccount => db.EmailAccounts.Restorable().Where(a => all || a.Domain.OrganizationId == org)
                .OrderByDescending(a => a.DeletedAt).ThenBy(a => a.Id).Select(a => new DeletedItem(
                a.Id, kind, a.Address, new OrganizationRef(a.Domain.Organization.Id, a.Domain.Organization.Name, a.Domain.Organization.Slug),
                1, a.DeletedAt!.Value, a.PurgeAfter!.Value)),
            DeletedKind.Alias => db.Aliases.Restorable().Where(a => a.Domain.DeletedAt == null && (all || a.Domain.OrganizationId == org))
                .OrderByDescending(a => a.DeletedAt).ThenBy(a => a.Id).Select(a => new DeletedItem(
                a.Id, kind, a.Address, new OrganizationRef(a.Domain.Organization.Id, a.Domain.Organization.Name, a.Domain.Organization.Slug),
                0, a.DeletedAt!.Value, a.PurgeAfter!.Value)),
            _ => db.Users.Restorable().Where(u => all || (u.OrganizationId == org && u.Role != UserRole.Superadmin))
                .OrderByDescending(u => u.DeletedAt).ThenBy(u => u.Id).Select(u => new DeletedItem(
                u.Id, kind, u.Username,
                u.Organization == null ? null : new OrganizationRef(u.Organization.Id, u.Organization.Name, u.Organization.Slug),
                accounts.Count(a => a.UserId == u.Id && a.DeletedAt == u.DeletedAt),
                u.DeletedAt!.Value, u.PurgeAfter!.Value)),
        };

        return await items.ToSliceAsync(query.Window, i => i, cancellationToken);
    }
}

public sealed class ListDeletedEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var (kind, path) in DeletedKinds.Paths)
        {
            app.MapGet(ApiRoutes.Root + path + "/deleted", async Task<IResult> ([AsParameters] ListParameters parameters, HttpRequest request, ISender sender, CancellationToken ct) =>
            {
                var window = parameters.Window();
                var result = await sender.Send(new ListDeletedQuery(kind, window), ct);
                return result.ToHttp(slice => slice.ToListResult(window, request));
            }).RequireRoles(kind == DeletedKind.Organization ? EndpointAccess.Superadmins : EndpointAccess.Admins).WithTags("Directory").WithName("ListDeleted" + kind).ReturnsList<DeletedItem>().Fails(403);
        }
    }
}

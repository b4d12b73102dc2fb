using System.ComponentModel;
using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.OrganizationUsage;

/// <summary>An organization's limits and what it uses: the org admin's own, or for a superadmin <c>?organization=</c>.</summary>
internal sealed record OrganizationUsageQuery(long? Organization) : IQuery<Result<OrganizationUsageResponse>>;

/// <summary>
/// One answer for the client server's org/limits and org/dashboard (each reads its own names). Limits of 0 mean
/// unlimited; <c>max_users</c> counts email accounts; storage is megabytes used and whole gigabytes allowed.
/// </summary>
internal sealed record OrganizationUsageResponse(
    long OrganizationId,
    string OrganizationName,
    int MaxUsers,
    int CurrentUsers,
    int MaxStorageGb,
    double StorageUsedMb,
    double StorageUsagePercentage,
    int TotalUsers,
    int TotalEmailAccounts,
    int ActiveEmailAccounts)
{
    public int UserLimit => MaxUsers;
    public int StorageLimitGb => MaxStorageGb;
}

internal sealed class OrganizationUsageValidator : AbstractValidator<OrganizationUsageQuery>
{
    public OrganizationUsageValidator() =>
        RuleFor(q => q.Organization).GreaterThan(0).When(q => q.Organization is not null)
            .WithMessage("organization must be an organization id.");
}

internal sealed class OrganizationUsageHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<OrganizationUsageQuery, Result<OrganizationUsageResponse>>
{
    private const double BytesPerMb = 1024 * 1024;

    public async ValueTask<Result<OrganizationUsageResponse>> Handle(OrganizationUsageQuery query, CancellationToken cancellationToken)
    {
        var scope = caller.RequireOrganization(query.Organization, "Only an organization administrator can see the organization's limits.");
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var organizationId = scope.Value;

        var figures = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId)
            .Select(o => new
            {
                o.Name,
                o.MaxAccounts,
                o.TotalQuotaMb,
                Users = db.Users.Count(u => u.OrganizationId == o.Id),
                Accounts = o.Domains.SelectMany(d => d.Accounts).Count(),
                ActiveAccounts = o.Domains.Where(d => d.Enabled).SelectMany(d => d.Accounts).Count(a => a.Enabled),
                UsedBytes = db.MailboxUsage.Where(m => o.Domains.SelectMany(d => d.Accounts).Any(a => a.Address == m.Email)).Sum(m => m.Bytes),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (figures is null)
        {
            return Error.NotFound("Organization not found.");
        }

        var percentage = figures.TotalQuotaMb == 0 ? 0 : Math.Round(figures.UsedBytes * 100.0 / (figures.TotalQuotaMb * BytesPerMb), 1);
        return new OrganizationUsageResponse(
            organizationId,
            figures.Name,
            figures.MaxAccounts,
            figures.Accounts,
            figures.TotalQuotaMb / 1024,
            Math.Round(figures.UsedBytes / BytesPerMb, 2),
            percentage,
            figures.Users,
            figures.Accounts,
            figures.ActiveAccounts);
    }
}

public sealed class OrganizationUsageEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/limits", HandleAsync)
            .RequireAdmin().WithTags("Directory").WithName("OrganizationLimits").Returns<OrganizationUsageResponse>().Fails(403, 404);
        app.MapGet(ApiRoutes.Root + "/org/dashboard", HandleAsync)
            .RequireAdmin().WithTags("Directory").WithName("OrganizationDashboard").Returns<OrganizationUsageResponse>().Fails(403, 404);
    }

    private static async Task<IResult> HandleAsync(
        [FromQuery(Name = "organization"), Description("The organization (superadmin); the caller's own otherwise."), Minimum(1)] WholeNumber? organization,
        ISender sender, CancellationToken ct) =>
        (await sender.Send(new OrganizationUsageQuery(organization.AsLong()), ct)).ToOk();
}

using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.UpdateOrganization;

internal sealed record UpdateOrganizationBody(string? Name, string? Status, int? MaxAccounts, int? TotalQuotaMb);

internal sealed record UpdateOrganizationCommand(long Id, string? Name, string? Status, int? MaxAccounts, int? TotalQuotaMb)
    : ICommand<Result<OrganizationDto>>;

internal sealed class UpdateOrganizationValidator : AbstractValidator<UpdateOrganizationCommand>
{
    public UpdateOrganizationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().MaximumLength(200).When(c => c.Name is not null);
        RuleFor(c => c.Status).Must(s => s is "active" or "disabled").When(c => c.Status is not null)
            .WithMessage("status must be 'active' or 'disabled'.");
        RuleFor(c => c.MaxAccounts).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
    }
}

internal sealed class UpdateOrganizationHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateOrganizationCommand, Result<OrganizationDto>>
{
    public async ValueTask<Result<OrganizationDto>> Handle(UpdateOrganizationCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can change an organization.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(command.Id, cancellationToken);
        var organization = await db.Organizations.SingleOrDefaultAsync(o => o.Id == command.Id, cancellationToken);
        if (organization is null)
        {
            return Error.NotFound("Organization not found.");
        }

        var accounts = db.EmailAccounts.Where(a => a.Domain.OrganizationId == organization.Id);
        if (command.MaxAccounts is > 0 and var max && await accounts.CountAsync(cancellationToken) > max)
        {
            return Error.Validation("max_accounts", "max_accounts is below the number of accounts the organization already has.");
        }

        if (command.TotalQuotaMb is > 0 and var total && await accounts.SumAsync(a => (long)a.QuotaMb, cancellationToken) > total)
        {
            return Error.Validation("total_quota_mb", "total_quota_mb is below the quota already allocated to the organization's accounts.");
        }

        if (command.Name is { } name && name.Trim() != organization.Name)
        {
            if (await db.Organizations.AnyAsync(o => o.Name == name.Trim() && o.Id != organization.Id, cancellationToken))
            {
                return Error.Conflict($"An organization named '{name.Trim()}' already exists.");
            }

            organization.Name = name.Trim();
        }

        organization.Status = command.Status switch
        {
            "active" => OrganizationStatus.Active,
            "disabled" => OrganizationStatus.Disabled,
            _ => organization.Status,
        };
        organization.MaxAccounts = command.MaxAccounts ?? organization.MaxAccounts;
        organization.TotalQuotaMb = command.TotalQuotaMb ?? organization.TotalQuotaMb;
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict("An organization with that name already exists.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.Organizations.Where(o => o.Id == organization.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/admin/organizations/{id:long}",
                async (long id, UpdateOrganizationBody body, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new UpdateOrganizationCommand(id, body.Name, body.Status, body.MaxAccounts, body.TotalQuotaMb), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("UpdateOrganization");
    }
}

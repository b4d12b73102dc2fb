using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
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

/// <summary>
/// Our fields (<c>name, status, max_accounts, total_quota_mb</c>) and the client's edit form, which sends all five of
/// <c>name, domain_name, max_users, max_storage_gb (GB), is_active</c> every time: a value equal to the current one
/// changes nothing, whatever the form's rounding.
/// </summary>
internal sealed record UpdateOrganizationBody(
    string? Name, string? Status, int? MaxAccounts, int? TotalQuotaMb, string? DomainName, int? MaxUsers, int? MaxStorageGb, bool? IsActive);

internal sealed record UpdateOrganizationCommand(
    long Id, string? Name, string? Status, int? MaxAccounts, int? TotalQuotaMb, string? DomainName, int? MaxUsers, int? MaxStorageGb, bool? IsActive)
    : ICommand<Result<OrganizationDto>>
{
    public static UpdateOrganizationCommand From(long id, UpdateOrganizationBody b) =>
        new(id, b.Name, b.Status, b.MaxAccounts, b.TotalQuotaMb, b.DomainName, b.MaxUsers, b.MaxStorageGb, b.IsActive);
}

internal sealed class UpdateOrganizationValidator : AbstractValidator<UpdateOrganizationCommand>
{
    public UpdateOrganizationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().MaximumLength(200).SingleLine().When(c => c.Name is not null);
        RuleFor(c => c.Status).Must(s => s is "active" or "disabled").When(c => c.Status is not null)
            .WithMessage("status must be 'active' or 'disabled'.");
        RuleFor(c => c.MaxAccounts).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MaxUsers).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MaxStorageGb).InclusiveBetween(0, int.MaxValue / StorageUnits.MbPerGb);
        RuleFor(c => c.DomainName).Must(d => Addresses.IsDomainName(d?.Trim())).When(c => !string.IsNullOrEmpty(c.DomainName))
            .WithMessage("domain_name must be a domain name such as example.com.");
    }
}

internal sealed class UpdateOrganizationHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
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

        // The client's GB is rounded up from our MB: the value we showed means "unchanged".
        int? clientMb = command.MaxStorageGb is { } gb
            ? gb == StorageUnits.ToGb(organization.TotalQuotaMb) ? organization.TotalQuotaMb : gb * StorageUnits.MbPerGb
            : null;
        bool? statusActive = command.Status is null ? null : command.Status == "active";
        var quotaPick = EchoedFields.Pick(clientMb, "max_storage_gb", command.TotalQuotaMb, "total_quota_mb", organization.TotalQuotaMb);
        var accountsPick = EchoedFields.Pick(command.MaxUsers, "max_users", command.MaxAccounts, "max_accounts", organization.MaxAccounts);
        var activePick = EchoedFields.Pick(command.IsActive, "is_active", statusActive, "status", organization.Status == OrganizationStatus.Active);
        if (!quotaPick.IsSuccess || !accountsPick.IsSuccess || !activePick.IsSuccess)
        {
            return quotaPick.Error ?? accountsPick.Error ?? activePick.Error!;
        }

        var accounts = db.EmailAccounts.Where(a => a.Domain.OrganizationId == organization.Id);
        if (accountsPick.Value is { Value: > 0 } max && max.Value != organization.MaxAccounts
            && await accounts.CountAsync(cancellationToken) is var count && count > max.Value)
        {
            return Error.Validation(max.Field, $"{max.Field} ({max.Value}) is below the {count} email accounts the organization already has.");
        }

        if (quotaPick.Value is { Value: > 0 } total && total.Value != organization.TotalQuotaMb
            && await accounts.SumAsync(a => (long)a.QuotaMb, cancellationToken) is var allocated && allocated > total.Value)
        {
            return Error.Validation(total.Field, $"{total.Field} is below the {allocated} MB already allocated to the organization's accounts.");
        }

        if (command.Name is { } name && name.Trim() != organization.Name)
        {
            if (await db.Organizations.IgnoreQueryFilters().AnyAsync(o => o.Name == name.Trim() && o.Id != organization.Id, cancellationToken))
            {
                return Error.Conflict($"An organization named '{name.Trim()}' already exists (or was deleted and can still be restored).");
            }

            organization.Name = name.Trim();
        }

        if (command.DomainName is { } domainName && await ApplyDomainNameAsync(organization, Addresses.Normalize(domainName), cancellationToken) is { } refused)
        {
            return refused;
        }

        organization.Status = activePick.Value is { } active
            ? active.Value ? OrganizationStatus.Active : OrganizationStatus.Disabled
            : organization.Status;
        organization.MaxAccounts = accountsPick.Value?.Value ?? organization.MaxAccounts;
        organization.TotalQuotaMb = quotaPick.Value?.Value ?? organization.TotalQuotaMb;
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict("An organization with that name, or a domain with that domain_name, already exists.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.Organizations.Where(o => o.Id == organization.Id).SelectDto(db).SingleAsync(cancellationToken);
    }

    /// <summary>
    /// The client's model has one domain per organization, its first: the same name changes nothing; another name
    /// renames it while it holds no mailbox (deleted ones included: they keep their addresses for a restore), or
    /// creates it when the organization has none.
    /// </summary>
    private async Task<Error?> ApplyDomainNameAsync(Organization organization, string wanted, CancellationToken cancellationToken)
    {
        var first = await db.Domains.Where(d => d.OrganizationId == organization.Id).OrderBy(d => d.Id).FirstOrDefaultAsync(cancellationToken);
        if (first?.Name == wanted || (first is null && wanted.Length == 0))
        {
            return null;
        }

        if (wanted.Length == 0)
        {
            return Error.Validation("domain_name", "domain_name cannot be emptied: delete the domain instead.");
        }

        if (await db.Domains.AnyAsync(d => d.Name == wanted, cancellationToken))
        {
            return Error.Conflict($"The domain '{wanted}' already exists.");
        }

        if (await db.DeletedDomainAsync(wanted, cancellationToken) is { } deleted)
        {
            return deleted;
        }

        if (first is null)
        {
            organization.Domains.Add(new MailDomain { Name = wanted, CreatedAt = clock.GetUtcNow() });
            return null;
        }

        var mailboxes = await db.EmailAccounts.IgnoreQueryFilters().CountAsync(a => a.DomainId == first.Id, cancellationToken);
        if (mailboxes > 0)
        {
            return Error.Validation("domain_name",
                $"domain_name cannot change from {first.Name} to {wanted}: {SoftDeletion.Plural(mailboxes, "mailbox uses", "mailboxes use")} it (deleted ones included). "
                + "Add the new domain with POST domains/ instead.");
        }

        first.Name = wanted;
        return null;
    }
}

public sealed class UpdateOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var update = async (long id, UpdateOrganizationBody body, ISender sender, CancellationToken ct) =>
            (await sender.Send(UpdateOrganizationCommand.From(id, body), ct)).ToOk();
        app.MapPatch(ApiRoutes.Root + "/admin/organizations/{id:long}", update)
            .RequireSuperadmin().WithTags("Directory").WithName("UpdateOrganization").Returns<OrganizationDto>().Fails(403, 409);
        app.MapPut(ApiRoutes.Root + "/admin/organizations/{id:long}", update)
            .RequireSuperadmin().WithTags("Directory").WithName("ReplaceOrganization").Returns<OrganizationDto>().Fails(403, 409);
        // The client's own server answered here.
        app.MapPatch(ApiRoutes.Root + "/admin/organizations/{id:long}/update", update)
            .RequireSuperadmin().WithTags("Directory").WithName("UpdateOrganizationAlias").Returns<OrganizationDto>().Fails(403, 409);
        app.MapPut(ApiRoutes.Root + "/admin/organizations/{id:long}/update", update)
            .RequireSuperadmin().WithTags("Directory").WithName("ReplaceOrganizationAlias").Returns<OrganizationDto>().Fails(403, 409);
    }
}

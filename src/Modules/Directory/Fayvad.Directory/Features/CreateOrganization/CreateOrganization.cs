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

namespace Fayvad.Directory.Features.CreateOrganization;

/// <summary>
/// Creates an organization. The client's form <c>{name, domain_name, max_users, max_storage_gb (GB), is_active}</c>
/// creates it with its mail domain in one transaction; our form <c>{name, slug, max_accounts, total_quota_mb}</c>
/// may leave the domain for later (docs/adr/0010).
/// </summary>
internal sealed record CreateOrganizationCommand(
    string? Name,
    string? Slug,
    int? MaxAccounts,
    int? TotalQuotaMb,
    string? DomainName,
    int? MaxUsers,
    int? MaxStorageGb,
    bool? IsActive) : ICommand<Result<OrganizationDto>>
{
    public int Accounts => MaxUsers ?? MaxAccounts ?? 0;
    public int QuotaMb => MaxStorageGb is { } gb ? gb * StorageUnits.MbPerGb : TotalQuotaMb ?? 0;
}

internal sealed class CreateOrganizationValidator : AbstractValidator<CreateOrganizationCommand>
{
    public CreateOrganizationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().MaximumLength(200).SingleLine();
        RuleFor(c => c.Slug).Must(Slugs.IsValid).When(c => c.Slug is not null)
            .WithMessage("slug must be lower-case letters, digits and hyphens (at most 63).");
        // Only our own form (it names a slug) may create an organization without its domain.
        RuleFor(c => c.DomainName).NotEmpty().When(c => c.Slug is null)
            .WithMessage("domain_name is required: the organization's mail domain, such as example.com.");
        RuleFor(c => c.DomainName).Must(d => Addresses.IsDomainName(d?.Trim())).When(c => !string.IsNullOrEmpty(c.DomainName))
            .WithMessage("domain_name must be a domain name such as example.com.");
        RuleFor(c => c.MaxAccounts).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MaxUsers).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MaxStorageGb).InclusiveBetween(0, int.MaxValue / StorageUnits.MbPerGb);
        RuleFor(c => c.MaxUsers).Equal(c => c.MaxAccounts).When(c => c.MaxUsers is not null && c.MaxAccounts is not null)
            .WithMessage("max_users and max_accounts are the same limit: give one, or the same value.");
        RuleFor(c => c.MaxStorageGb).Must((c, gb) => gb * StorageUnits.MbPerGb == c.TotalQuotaMb)
            .When(c => c.MaxStorageGb is not null && c.TotalQuotaMb is not null)
            .WithMessage("max_storage_gb (GB) and total_quota_mb (MB) are the same limit: give one, or matching values.");
    }
}

internal sealed class CreateOrganizationHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<CreateOrganizationCommand, Result<OrganizationDto>>
{
    public async ValueTask<Result<OrganizationDto>> Handle(CreateOrganizationCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can create organizations.");
        }

        var name = command.Name!.Trim();
        var domainName = string.IsNullOrEmpty(command.DomainName) ? null : Addresses.Normalize(command.DomainName);
        var slug = command.Slug ?? SlugFrom(name, domainName);
        if (!Slugs.IsValid(slug))
        {
            return Error.Validation("slug", "slug could not be made from the name; give one.");
        }

        if (await db.Organizations.AnyAsync(o => o.Slug == slug || o.Name == name, cancellationToken))
        {
            return Error.Conflict($"An organization named '{name}' or with slug '{slug}' already exists.");
        }

        if (await db.DeletedOrganizationAsync(name, slug, cancellationToken) is { } deleted)
        {
            return deleted;
        }

        if (domainName is not null && await DomainTakenAsync(domainName, cancellationToken) is { } taken)
        {
            return taken;
        }

        var now = clock.GetUtcNow();
        var organization = new Organization
        {
            Name = name,
            Slug = slug,
            Status = command.IsActive == false ? OrganizationStatus.Disabled : OrganizationStatus.Active,
            MaxAccounts = command.Accounts,
            TotalQuotaMb = command.QuotaMb,
            CreatedAt = now,
        };
        if (domainName is not null)
        {
            // Saved in the same SaveChanges, so in one transaction: both rows or neither.
            organization.Domains.Add(new MailDomain { Name = domainName, DefaultMailboxQuotaMb = DefaultMailboxQuota(organization), CreatedAt = now });
        }

        db.Organizations.Add(organization);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"An organization named '{name}' (slug '{slug}') or the domain '{domainName}' already exists.");
        }

        return await db.Organizations.Where(o => o.Id == organization.Id).SelectDto(db).SingleAsync(cancellationToken);
    }

    private async Task<Error?> DomainTakenAsync(string domainName, CancellationToken cancellationToken) =>
        await db.Domains.AnyAsync(d => d.Name == domainName, cancellationToken)
            ? Error.Conflict($"The domain '{domainName}' already exists.")
            : await db.DeletedDomainAsync(domainName, cancellationToken);

    /// <summary>From the name; from the domain when the name has no Latin letters or digits.</summary>
    private static string SlugFrom(string name, string? domainName)
    {
        var slug = Slugs.From(name);
        return slug.Length == 0 && domainName is not null ? Slugs.From(domainName) : slug;
    }

    /// <summary>
    /// The client's form sets a storage total and a user count but no mailbox size, and its "create user" sends no quota:
    /// an equal share of the total per user (at most 1 GB) lets each of those users be created. 0 when there is no total.
    /// </summary>
    internal static int DefaultMailboxQuota(Organization organization) =>
        organization.TotalQuotaMb == 0 ? 0
        : Math.Max(1, Math.Min(1024, organization.MaxAccounts > 0 ? organization.TotalQuotaMb / organization.MaxAccounts : organization.TotalQuotaMb));
}

public sealed class CreateOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var create = async (CreateOrganizationCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(o => Results.Created($"{ApiRoutes.Root}/admin/organizations/{o.Id}/", o));
        app.MapPost(ApiRoutes.Root + "/admin/organizations", create)
            .RequireSuperadmin().WithTags("Directory").WithName("CreateOrganization").Returns<OrganizationDto>(StatusCodes.Status201Created).Fails(403, 409);
        // The client's own server answered here.
        app.MapPost(ApiRoutes.Root + "/admin/organizations/create", create)
            .RequireSuperadmin().WithTags("Directory").WithName("CreateOrganizationAlias").Returns<OrganizationDto>(StatusCodes.Status201Created).Fails(403, 409);
    }
}

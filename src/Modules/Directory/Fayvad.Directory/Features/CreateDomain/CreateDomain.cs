using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Directory.Dkim;
using Fayvad.Directory.Features.UpdateDomain;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.CreateDomain;

/// <summary>
/// Adds a mail domain. Our form names <c>organization_id</c> and quotas as <c>*_quota_mb</c>; the client's form
/// <c>{name, enabled, type, quota (MB), default_mailbox_quota (MB), antivirus, antispam, dkim_enabled}</c> names no
/// organization: an org admin's domain joins their organization, a superadmin's becomes a new organization of its own
/// name, as the client's one-domain-per-organization model expects (docs/adr/0010). A domain the caller's organization
/// already has (the organization form made it, then the client's "Add domain" posts it) is answered with the posted
/// settings applied (200); one of another organization is a 409 that names no owner.
/// </summary>
internal sealed record CreateDomainCommand(
    string? Name,
    long? OrganizationId,
    bool? Enabled,
    int? DefaultMailboxQuotaMb,
    int? TotalQuotaMb,
    string? Type,
    int? Quota,
    int? DefaultMailboxQuota,
    bool? Antivirus,
    bool? Antispam,
    bool? DkimEnabled,
    int? SpamThreshold,
    string? TargetDomain = null,
    int? MessageLimit = null) : ICommand<Result<PostedDomain>>
{
    public int TotalMb => Quota ?? TotalQuotaMb ?? 0;
    public int DefaultMb => DefaultMailboxQuota ?? DefaultMailboxQuotaMb ?? 0;
}

internal sealed class CreateDomainValidator : AbstractValidator<CreateDomainCommand>
{
    public CreateDomainValidator()
    {
        RuleFor(c => c.Name).NotEmpty().Must(n => Addresses.IsDomainName(n?.Trim())).When(c => !string.IsNullOrEmpty(c.Name), ApplyConditionTo.CurrentValidator)
            .WithMessage("name must be a domain name such as example.com.");
        RuleFor(c => c.Type).Must(t => t is DomainTypes.Hosted or DomainTypes.Alias).When(c => c.Type is not null)
            .WithMessage(c => c.Type == DomainTypes.Relay
                ? "type \"relaydomain\" is not offered: this server delivers only to its own mailboxes (docs/adr/0034)."
                : "type must be \"domain\" or \"aliasdomain\".");
        RuleFor(c => c.TargetDomain).NotEmpty().When(c => c.Type == DomainTypes.Alias)
            .WithMessage("target_domain is required for an alias domain: the domain whose addresses it answers for.");
        RuleFor(c => c.TargetDomain).Must(t => Addresses.IsDomainName(t!.Trim())).When(c => !string.IsNullOrEmpty(c.TargetDomain))
            .WithMessage("target_domain must be a domain name such as example.com.");
        RuleFor(c => c.TargetDomain).Null().When(c => c.Type != DomainTypes.Alias)
            .WithMessage("target_domain is only for type \"aliasdomain\".");
        RuleFor(c => c.DefaultMailboxQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MessageLimit).GreaterThanOrEqualTo(0).WithMessage("message_limit must be 0 (no limit) or more recipients an hour.");
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.Quota).GreaterThanOrEqualTo(0);
        RuleFor(c => c.DefaultMailboxQuota).GreaterThanOrEqualTo(0);
        RuleFor(c => c.Quota).Equal(c => c.TotalQuotaMb).When(c => c.Quota is not null && c.TotalQuotaMb is not null)
            .WithMessage("quota and total_quota_mb are the same limit (MB): give one, or the same value.");
        RuleFor(c => c.DefaultMailboxQuota).Equal(c => c.DefaultMailboxQuotaMb).When(c => c.DefaultMailboxQuota is not null && c.DefaultMailboxQuotaMb is not null)
            .WithMessage("default_mailbox_quota and default_mailbox_quota_mb are the same value (MB): give one.");
        RuleFor(c => c.OrganizationId).GreaterThan(0).When(c => c.OrganizationId is not null);
        RuleFor(c => c.SpamThreshold).InclusiveBetween(MailDomain.MinSpamThreshold, MailDomain.MaxSpamThreshold)
            .When(c => c.SpamThreshold is not null)
            .WithMessage($"spam_threshold must be a whole number from {MailDomain.MinSpamThreshold} to {MailDomain.MaxSpamThreshold} (the spam score from which mail goes to Junk).");
        RuleFor(c => c).Must(c => c.TotalMb == 0 || c.DefaultMb <= c.TotalMb)
            .OverridePropertyName("default_mailbox_quota")
            .WithMessage("default_mailbox_quota cannot exceed the domain's quota.");
    }
}

/// <summary>The domain as GET shows it, and whether this request made it (201) or found it in the caller's organization (200).</summary>
internal sealed record PostedDomain(DomainDto Domain, bool Created);

internal sealed class CreateDomainHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock, ISender sender)
    : ICommandHandler<CreateDomainCommand, Result<PostedDomain>>
{
    public async ValueTask<Result<PostedDomain>> Handle(CreateDomainCommand command, CancellationToken cancellationToken)
    {
        var scope = caller.ResolveOrganization(command.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var name = Addresses.Normalize(command.Name!);
        var existing = await db.Domains.Where(d => d.Name == name).Select(d => new { d.Id, d.OrganizationId }).SingleOrDefaultAsync(cancellationToken);
        if (existing is not null)
        {
            // The caller's own: their organization, the one a superadmin names, or any for a superadmin naming none.
            var own = scope.Value is { } named ? existing.OrganizationId == named : caller.IsSuperadmin();
            if (!own)
            {
                // Whose it is stays unsaid: the name is taken, nothing more.
                return Error.Conflict($"The domain '{name}' already exists.");
            }

            var updated = await sender.Send(new UpdateDomainCommand(existing.Id, new UpdateDomainBody(
                command.Enabled, command.DefaultMailboxQuotaMb, command.TotalQuotaMb, Name: null, command.Type, command.Quota,
                command.DefaultMailboxQuota, command.DkimEnabled, command.Antivirus, command.Antispam, command.SpamThreshold, Organization: null, OrganizationId: null, command.MessageLimit)),
                cancellationToken);
            return updated.IsSuccess ? new PostedDomain(updated.Value, Created: false) : updated.Error;
        }

        if (await db.DeletedDomainAsync(name, cancellationToken) is { } deleted)
        {
            return deleted;
        }

        MailDomain? target = null;
        if (command.Type == DomainTypes.Alias)
        {
            // An alias domain joins its target's organization: only an admin of that organization may add one.
            var targetName = Addresses.Normalize(command.TargetDomain!);
            target = await db.Domains.SingleOrDefaultAsync(d => d.Name == targetName, cancellationToken);
            if (target is null || !caller.CanManage(target.OrganizationId) || (scope.Value is { } named && named != target.OrganizationId))
            {
                return Error.Validation("target_domain", $"target_domain: '{targetName}' is not one of your organization's domains.");
            }

            if (target.Type != DomainTypes.Hosted)
            {
                return Error.Validation("target_domain", $"target_domain: '{targetName}' is itself an alias domain; name the domain it answers for.");
            }

            if (targetName == name)
            {
                return Error.Validation("target_domain", "target_domain: a domain cannot be an alias of itself.");
            }

            scope = target.OrganizationId;
        }

        var domain = new MailDomain
        {
            Name = name,
            Enabled = command.Enabled ?? true,
            DefaultMailboxQuotaMb = command.DefaultMb,
            TotalQuotaMb = command.TotalMb,
            // Signing is the point of a mail domain today (docs/adr/0019): on unless the form says otherwise.
            DkimEnabled = command.DkimEnabled ?? true,
            // Virus scanning costs little and refuses only infected mail: on unless the form says otherwise (the client's
            // default). Spam filing moves mail out of the inbox: on when asked for (the client's form always asks).
            Antivirus = command.Antivirus ?? true,
            Antispam = command.Antispam ?? false,
            MessageLimit = command.MessageLimit ?? 0,
            SpamThreshold = command.SpamThreshold ?? MailDomain.DefaultSpamThreshold,
            CreatedAt = clock.GetUtcNow(),
            Type = target is null ? DomainTypes.Hosted : DomainTypes.Alias,
            AliasTargetId = target?.Id,
        };

        if (scope.Value is { } organizationId)
        {
            var organization = await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken);
            if (organization is null)
            {
                return Error.NotFound("Organization not found.");
            }

            if (organization.TotalQuotaMb > 0 && domain.TotalQuotaMb > organization.TotalQuotaMb)
            {
                var field = command.Quota is not null ? "quota" : "total_quota_mb";
                return Error.Validation(field, $"{field} cannot exceed the organization's {organization.TotalQuotaMb} MB.");
            }

            domain.OrganizationId = organizationId;
            db.Domains.Add(domain);
        }
        else if (caller.Role == UserRole.Superadmin)
        {
            // No organization named: the domain is an organization of its own (the client's model), in the same save.
            var slug = Slugs.From(name);
            if (await db.Organizations.IgnoreQueryFilters().AnyAsync(o => o.Name == name || o.Slug == slug, cancellationToken))
            {
                return Error.Conflict($"An organization named '{name}' already exists: pass its organization_id to add the domain to it.");
            }

            domain.Organization = new Organization { Name = name, Slug = slug, CreatedAt = domain.CreatedAt };
            db.Domains.Add(domain);
        }
        else
        {
            return Error.Validation("organization_id", "organization_id is required.");
        }

        // The first key is pending: OpenDKIM signs with it once a DNS check has seen its record (docs/adr/0019).
        domain.DkimKeys.Add(DkimKeyFactory.Create(0, [], domain.CreatedAt, DkimKeyState.Pending));

        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"The domain '{name}' already exists.");
        }

        return new PostedDomain(await db.Domains.Where(d => d.Id == domain.Id).SelectDto(db).SingleAsync(cancellationToken), Created: true);
    }
}

public sealed class CreateDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/domains", async (CreateDomainCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(posted => posted.Created
                ? Results.Created($"{ApiRoutes.Root}/domains/{posted.Domain.Id}/", posted.Domain)
                : Results.Ok(posted.Domain)))
            .RequireAdmin().WithTags("Directory").WithName("CreateDomain")
            .WithDescription("Adds a mail domain (201). A domain the caller's organization already has (an org admin's own, the "
                + "organization_id a superadmin names, or any for a superadmin naming none) is answered as it is after the posted "
                + "settings are applied (200), as the client's \"Add domain\" after the organization form expects; a domain of "
                + "another organization is a 409 that does not say whose it is.")
            .Returns<DomainDto>(StatusCodes.Status201Created).Returns<DomainDto>().Fails(403, 404, 409);
    }
}

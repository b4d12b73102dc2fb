using Carter;
using FluentValidation;
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

namespace Fayvad.Directory.Features.UpdateDomain;

/// <summary>The organization as a domain's GET shows it; on PUT only its id is compared.</summary>
internal sealed record OrganizationIdBody(long? Id);

/// <summary>
/// PATCH some fields, or PUT the object as GET returns it: <c>name</c>, <c>enabled</c>, <c>quota</c> (MB),
/// <c>default_mailbox_quota</c> (MB), the three flags, <c>spam_threshold</c>, <c>type</c>, and our <c>*_quota_mb</c> names. Read-only fields
/// of the GET shape (id, counts, usage, created_at) are ignored; <c>organization</c> cannot change.
/// </summary>
internal sealed record UpdateDomainBody(
    bool? Enabled,
    int? DefaultMailboxQuotaMb,
    int? TotalQuotaMb,
    string? Name,
    string? Type,
    int? Quota,
    int? DefaultMailboxQuota,
    bool? DkimEnabled,
    bool? Antivirus,
    bool? Antispam,
    int? SpamThreshold,
    OrganizationIdBody? Organization,
    long? OrganizationId,
    int? MessageLimit = null);

internal sealed record UpdateDomainCommand(long Id, UpdateDomainBody Body) : ICommand<Result<DomainDto>>;

internal sealed class UpdateDomainValidator : AbstractValidator<UpdateDomainCommand>
{
    public UpdateDomainValidator()
    {
        RuleFor(c => c.Body.DefaultMailboxQuotaMb).GreaterThanOrEqualTo(0).OverridePropertyName("default_mailbox_quota_mb");
        RuleFor(c => c.Body.TotalQuotaMb).GreaterThanOrEqualTo(0).OverridePropertyName("total_quota_mb");
        RuleFor(c => c.Body.Quota).GreaterThanOrEqualTo(0).OverridePropertyName("quota");
        RuleFor(c => c.Body.DefaultMailboxQuota).GreaterThanOrEqualTo(0).OverridePropertyName("default_mailbox_quota");
        RuleFor(c => c.Body.MessageLimit).GreaterThanOrEqualTo(0).OverridePropertyName("message_limit")
            .WithMessage("message_limit must be 0 (no limit) or more recipients an hour.");
        RuleFor(c => c.Body.Type).Must(t => t is DomainTypes.Hosted or DomainTypes.Alias).When(c => c.Body.Type is not null).OverridePropertyName("type")
            .WithMessage("type must be \"domain\" or \"aliasdomain\" (relay domains are not offered, docs/adr/0034).");
        RuleFor(c => c.Body.SpamThreshold).InclusiveBetween(MailDomain.MinSpamThreshold, MailDomain.MaxSpamThreshold)
            .When(c => c.Body.SpamThreshold is not null).OverridePropertyName("spam_threshold")
            .WithMessage($"spam_threshold must be a whole number from {MailDomain.MinSpamThreshold} to {MailDomain.MaxSpamThreshold} (the spam score from which mail goes to Junk).");
        RuleFor(c => c.Body.Name).Must(n => Addresses.IsDomainName(n?.Trim())).When(c => c.Body.Name is not null).OverridePropertyName("name")
            .WithMessage("name must be a domain name such as example.com.");
    }
}

internal sealed class UpdateDomainHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateDomainCommand, Result<DomainDto>>
{
    public async ValueTask<Result<DomainDto>> Handle(UpdateDomainCommand command, CancellationToken cancellationToken)
    {
        var body = command.Body;
        var domain = await db.Domains.Include(d => d.Organization).SingleOrDefaultAsync(d => d.Id == command.Id, cancellationToken);
        if (domain is null || !caller.IsAdmin() || !caller.CanManage(domain.OrganizationId))
        {
            return Error.NotFound("Domain not found.");
        }

        if ((body.Organization?.Id ?? body.OrganizationId) is { } organizationId && organizationId != domain.OrganizationId)
        {
            return Error.Validation(body.Organization is not null ? "organization" : "organization_id",
                "A domain cannot move to another organization: its mailboxes, admins and limits belong to this one.");
        }

        if (body.Type is { } type && type != domain.Type)
        {
            return Error.Validation("type", $"type cannot change (this domain is \"{domain.Type}\"): delete it and add it again as the other type.");
        }

        var totalPick = EchoedFields.Pick(body.Quota, "quota", body.TotalQuotaMb, "total_quota_mb", domain.TotalQuotaMb);
        var defaultPick = EchoedFields.Pick(body.DefaultMailboxQuota, "default_mailbox_quota", body.DefaultMailboxQuotaMb, "default_mailbox_quota_mb",
            domain.DefaultMailboxQuotaMb);
        if (!totalPick.IsSuccess || !defaultPick.IsSuccess)
        {
            return totalPick.Error ?? defaultPick.Error!;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(domain.OrganizationId, cancellationToken);

        if (totalPick.Value is { } total && total.Value != domain.TotalQuotaMb)
        {
            if (domain.Organization.TotalQuotaMb > 0 && total.Value > domain.Organization.TotalQuotaMb)
            {
                return Error.Validation(total.Field, $"{total.Field} cannot exceed the organization's {domain.Organization.TotalQuotaMb} MB.");
            }

            var allocated = await db.EmailAccounts.Where(a => a.DomainId == domain.Id).SumAsync(a => (long)a.QuotaMb, cancellationToken);
            if (total.Value > 0 && allocated > total.Value)
            {
                return Error.Validation(total.Field, $"{total.Field} is below the {allocated} MB already allocated to the domain's accounts.");
            }

            domain.TotalQuotaMb = total.Value;
        }

        var defaultQuota = defaultPick.Value?.Value ?? domain.DefaultMailboxQuotaMb;
        if (domain.TotalQuotaMb > 0 && defaultQuota > domain.TotalQuotaMb)
        {
            var field = defaultPick.Value?.Field ?? "default_mailbox_quota";
            return Error.Validation(field, $"{field} cannot exceed the domain's quota ({domain.TotalQuotaMb} MB).");
        }

        if (body.Name is { } newName && Addresses.Normalize(newName) is var name && name != domain.Name)
        {
            if (await RenameRefusedAsync(domain.Id, domain.Name, name, cancellationToken) is { } refused)
            {
                return refused;
            }

            domain.Name = name;
        }

        domain.DefaultMailboxQuotaMb = defaultQuota;
        domain.Enabled = body.Enabled ?? domain.Enabled;
        domain.DkimEnabled = body.DkimEnabled ?? domain.DkimEnabled;
        domain.Antivirus = body.Antivirus ?? domain.Antivirus;
        domain.Antispam = body.Antispam ?? domain.Antispam;
        domain.MessageLimit = body.MessageLimit ?? domain.MessageLimit;
        domain.SpamThreshold = body.SpamThreshold ?? domain.SpamThreshold;
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"The domain '{domain.Name}' already exists.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.Domains.Where(d => d.Id == domain.Id).SelectDto(db).SingleAsync(cancellationToken);
    }

    /// <summary>A mailbox's address carries its domain (and older mailboxes' homes do too): only an empty domain is renamed.</summary>
    private async Task<Error?> RenameRefusedAsync(long domainId, string current, string wanted, CancellationToken cancellationToken)
    {
        var mailboxes = await db.EmailAccounts.IgnoreQueryFilters().CountAsync(a => a.DomainId == domainId, cancellationToken);
        if (mailboxes > 0)
        {
            return Error.Validation("name",
                $"name cannot change from {current} to {wanted}: {SoftDeletion.Plural(mailboxes, "mailbox uses", "mailboxes use")} it (deleted ones included).");
        }

        // An alias's address carries its domain too.
        var aliases = await db.Aliases.IgnoreQueryFilters().CountAsync(a => a.DomainId == domainId, cancellationToken);
        if (aliases > 0)
        {
            return Error.Validation("name",
                $"name cannot change from {current} to {wanted}: {SoftDeletion.Plural(aliases, "alias uses", "aliases use")} it.");
        }

        return await db.Domains.AnyAsync(d => d.Name == wanted, cancellationToken)
            ? Error.Conflict($"The domain '{wanted}' already exists.")
            : await db.DeletedDomainAsync(wanted, cancellationToken);
    }
}

public sealed class UpdateDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var update = async (long id, UpdateDomainBody body, ISender sender, CancellationToken ct) =>
            (await sender.Send(new UpdateDomainCommand(id, body), ct)).ToOk();
        app.MapPatch(ApiRoutes.Root + "/domains/{id:long}", update).RequireAdmin().WithTags("Directory").WithName("UpdateDomain").Returns<DomainDto>().Fails(403, 409);
        app.MapPut(ApiRoutes.Root + "/domains/{id:long}", update).RequireAdmin().WithTags("Directory").WithName("ReplaceDomain").Returns<DomainDto>().Fails(403, 409);
    }
}

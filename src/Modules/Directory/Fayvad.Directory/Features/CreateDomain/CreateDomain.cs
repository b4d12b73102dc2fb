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

namespace Fayvad.Directory.Features.CreateDomain;

internal sealed record CreateDomainCommand(
    string? Name, long? OrganizationId, bool? Enabled, int? DefaultMailboxQuotaMb, int? TotalQuotaMb)
    : ICommand<Result<DomainDto>>;

internal sealed class CreateDomainValidator : AbstractValidator<CreateDomainCommand>
{
    public CreateDomainValidator()
    {
        RuleFor(c => c.Name).NotEmpty().Must(n => Addresses.IsDomainName(n?.Trim())).When(c => !string.IsNullOrEmpty(c.Name), ApplyConditionTo.CurrentValidator)
            .WithMessage("name must be a domain name such as example.com.");
        RuleFor(c => c.DefaultMailboxQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.OrganizationId).GreaterThan(0).When(c => c.OrganizationId is not null);
        RuleFor(c => c).Must(c => c.TotalQuotaMb is null or 0 || (c.DefaultMailboxQuotaMb ?? 0) <= c.TotalQuotaMb)
            .OverridePropertyName("default_mailbox_quota_mb")
            .WithMessage("default_mailbox_quota_mb cannot exceed total_quota_mb.");
    }
}

internal sealed class CreateDomainHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<CreateDomainCommand, Result<DomainDto>>
{
    public async ValueTask<Result<DomainDto>> Handle(CreateDomainCommand command, CancellationToken cancellationToken)
    {
        var scope = caller.ResolveOrganization(command.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        if (scope.Value is not { } organizationId)
        {
            return Error.Validation("organization_id", "organization_id is required.");
        }

        var organization = await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken);
        if (organization is null)
        {
            return Error.NotFound("Organization not found.");
        }

        var totalQuota = command.TotalQuotaMb ?? 0;
        if (organization.TotalQuotaMb > 0 && totalQuota > organization.TotalQuotaMb)
        {
            return Error.Validation("total_quota_mb", $"total_quota_mb cannot exceed the organization's {organization.TotalQuotaMb} MB.");
        }

        var name = Addresses.Normalize(command.Name!);
        if (await db.Domains.AnyAsync(d => d.Name == name, cancellationToken))
        {
            return Error.Conflict($"The domain '{name}' already exists.");
        }

        var domain = new MailDomain
        {
            Name = name,
            OrganizationId = organizationId,
            Enabled = command.Enabled ?? true,
            DefaultMailboxQuotaMb = command.DefaultMailboxQuotaMb ?? 0,
            TotalQuotaMb = totalQuota,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Domains.Add(domain);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"The domain '{name}' already exists.");
        }

        return await db.Domains.Where(d => d.Id == domain.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class CreateDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/domains", async (CreateDomainCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(d => Results.Created($"{ApiRoutes.Root}/domains/{d.Id}/", d)))
            .RequireAuthorization().WithTags("Directory").WithName("CreateDomain");
    }
}

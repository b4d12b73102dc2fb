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
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.UpdateDomain;

internal sealed record UpdateDomainBody(bool? Enabled, int? DefaultMailboxQuotaMb, int? TotalQuotaMb);

internal sealed record UpdateDomainCommand(long Id, bool? Enabled, int? DefaultMailboxQuotaMb, int? TotalQuotaMb)
    : ICommand<Result<DomainDto>>;

internal sealed class UpdateDomainValidator : AbstractValidator<UpdateDomainCommand>
{
    public UpdateDomainValidator()
    {
        RuleFor(c => c.DefaultMailboxQuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
    }
}

internal sealed class UpdateDomainHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateDomainCommand, Result<DomainDto>>
{
    public async ValueTask<Result<DomainDto>> Handle(UpdateDomainCommand command, CancellationToken cancellationToken)
    {
        var domain = await db.Domains.Include(d => d.Organization).SingleOrDefaultAsync(d => d.Id == command.Id, cancellationToken);
        if (domain is null || !caller.CanManage(domain.OrganizationId))
        {
            return Error.NotFound("Domain not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(domain.OrganizationId, cancellationToken);

        if (command.TotalQuotaMb is { } total)
        {
            if (domain.Organization.TotalQuotaMb > 0 && total > domain.Organization.TotalQuotaMb)
            {
                return Error.Validation("total_quota_mb", $"total_quota_mb cannot exceed the organization's {domain.Organization.TotalQuotaMb} MB.");
            }

            var allocated = await db.EmailAccounts.Where(a => a.DomainId == domain.Id).SumAsync(a => (long)a.QuotaMb, cancellationToken);
            if (total > 0 && allocated > total)
            {
                return Error.Validation("total_quota_mb", $"total_quota_mb is below the {allocated} MB already allocated to the domain's accounts.");
            }

            domain.TotalQuotaMb = total;
        }

        var defaultQuota = command.DefaultMailboxQuotaMb ?? domain.DefaultMailboxQuotaMb;
        if (domain.TotalQuotaMb > 0 && defaultQuota > domain.TotalQuotaMb)
        {
            return Error.Validation("default_mailbox_quota_mb", "default_mailbox_quota_mb cannot exceed total_quota_mb.");
        }

        domain.DefaultMailboxQuotaMb = defaultQuota;
        domain.Enabled = command.Enabled ?? domain.Enabled;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await db.Domains.Where(d => d.Id == domain.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/domains/{id:long}", async (long id, UpdateDomainBody body, ISender sender, CancellationToken ct) =>
            (await sender.Send(new UpdateDomainCommand(id, body.Enabled, body.DefaultMailboxQuotaMb, body.TotalQuotaMb), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("UpdateDomain");
    }
}

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

namespace Fayvad.Directory.Features.SetOrganizationsStatus;

/// <summary>
/// Suspends or activates several organizations at once (the client's server's bulk-suspend and bulk-activate):
/// a suspended organization's users, mailboxes and deliveries stop at once, as with status "disabled".
/// </summary>
internal sealed record SetOrganizationsStatusBody(IReadOnlyList<long>? Ids);

internal sealed record SetOrganizationsStatusCommand(IReadOnlyList<long>? Ids, bool Active) : ICommand<Result<BulkStatusResult>>;

/// <summary><c>updated</c>: how many of the ids named an organization (deleted ones and unknown ids are not counted).</summary>
internal sealed record BulkStatusResult(int Updated, string Detail);

internal sealed class SetOrganizationsStatusValidator : AbstractValidator<SetOrganizationsStatusCommand>
{
    public SetOrganizationsStatusValidator()
    {
        RuleFor(c => c.Ids).NotEmpty().WithMessage("ids must list at least one organization id.");
        RuleForEach(c => c.Ids).GreaterThan(0).OverridePropertyName("ids").WithMessage("ids must be organization ids (integers above 0).");
        RuleFor(c => c.Ids!.Count).LessThanOrEqualTo(1000).When(c => c.Ids is not null).OverridePropertyName("ids")
            .WithMessage("ids can name at most 1000 organizations at once.");
    }
}

internal sealed class SetOrganizationsStatusHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<SetOrganizationsStatusCommand, Result<BulkStatusResult>>
{
    public async ValueTask<Result<BulkStatusResult>> Handle(SetOrganizationsStatusCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can suspend or activate organizations.");
        }

        var ids = command.Ids!.Distinct().ToList();
        if (!command.Active && caller.OrganizationId is { } own && ids.Contains(own))
        {
            return Error.Validation("ids", "ids names your own organization: you cannot suspend it.");
        }

        var status = command.Active ? OrganizationStatus.Active : OrganizationStatus.Disabled;
        var updated = await db.Organizations.Where(o => ids.Contains(o.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, status), cancellationToken);
        return new BulkStatusResult(updated,
            $"{SoftDeletion.Plural(updated, "organization", "organizations")} {(command.Active ? "activated" : "suspended")}.");
    }
}

public sealed class SetOrganizationsStatusEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/admin/organizations/bulk-suspend", async (SetOrganizationsStatusBody body, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetOrganizationsStatusCommand(body.Ids, Active: false), ct)).ToOk())
            .RequireSuperadmin().WithTags("Directory").WithName("SuspendOrganizations").Returns<BulkStatusResult>().Fails(403, 404);
        app.MapPost(ApiRoutes.Root + "/admin/organizations/bulk-activate", async (SetOrganizationsStatusBody body, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetOrganizationsStatusCommand(body.Ids, Active: true), ct)).ToOk())
            .RequireSuperadmin().WithTags("Directory").WithName("ActivateOrganizations").Returns<BulkStatusResult>().Fails(403, 404);
    }
}

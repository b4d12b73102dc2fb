using Carter;
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

namespace Fayvad.Directory.Features.SetDomainEnabled;

/// <summary>
/// The client's toggle (flips <c>enabled</c>) and the documented enable/disable. A disabled domain's mailboxes stop
/// logging in and receiving at once: the mail server's views fold the domain's state into every account.
/// </summary>
internal sealed record SetDomainEnabledCommand(long Id, bool? Enabled) : ICommand<Result<DomainDto>>;

internal sealed class SetDomainEnabledHandler(DirectoryDbContext db, ICurrentUser caller) : ICommandHandler<SetDomainEnabledCommand, Result<DomainDto>>
{
    public async ValueTask<Result<DomainDto>> Handle(SetDomainEnabledCommand command, CancellationToken cancellationToken)
    {
        var domain = await db.Domains.SingleOrDefaultAsync(d => d.Id == command.Id, cancellationToken);
        if (domain is null || !caller.IsAdmin() || !caller.CanManage(domain.OrganizationId))
        {
            return Error.NotFound("Domain not found.");
        }

        // In SQL, so two toggles at once flip twice rather than both reading the same state.
        await db.Domains.Where(d => d.Id == domain.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Enabled, d => command.Enabled ?? !d.Enabled), cancellationToken);
        return await db.Domains.AsNoTracking().Where(d => d.Id == domain.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class SetDomainEnabledEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/domains/{id:long}/toggle", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetDomainEnabledCommand(id, null), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("ToggleDomain").Returns<DomainDto>().Fails(403);
        app.MapPost(ApiRoutes.Root + "/domains/{id:long}/enable", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetDomainEnabledCommand(id, true), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("EnableDomain").Returns<DomainDto>().Fails(403);
        app.MapPost(ApiRoutes.Root + "/domains/{id:long}/disable", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetDomainEnabledCommand(id, false), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("DisableDomain").Returns<DomainDto>().Fails(403);
    }
}

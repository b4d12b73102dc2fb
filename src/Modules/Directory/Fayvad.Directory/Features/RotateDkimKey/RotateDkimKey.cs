using Carter;
using Fayvad.Directory.Data;
using Fayvad.Directory.Dkim;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Features.RotateDkimKey;

/// <summary>
/// A new DKIM key under a new dated selector, published beside the current one (pending). Signing moves to it only
/// when a check sees its record; a domain without any key gets its first one here (docs/adr/0019).
/// </summary>
internal sealed record RotateDkimKeyCommand(long Id) : ICommand<Result<DomainDnsDto>>;

internal sealed class RotateDkimKeyHandler(DirectoryDbContext db, ICurrentUser caller, IOptions<DnsOptions> options, TimeProvider clock)
    : ICommandHandler<RotateDkimKeyCommand, Result<DomainDnsDto>>
{
    public async ValueTask<Result<DomainDnsDto>> Handle(RotateDkimKeyCommand command, CancellationToken cancellationToken)
    {
        var subject = await DomainDnsReader.LoadAsync(db, caller, command.Id, cancellationToken);
        if (!subject.IsSuccess)
        {
            return subject.Error;
        }

        if (subject.Value.Keys.FirstOrDefault(k => k.State == DkimKeyState.Pending) is { } waiting)
        {
            return Error.Conflict(
                $"Selector {waiting.Selector} is already waiting to be seen in DNS: publish its record (GET dns/) and run dns-check before rotating again.");
        }

        var now = clock.GetUtcNow();
        var taken = await db.DkimKeys.Where(k => k.DomainId == command.Id).Select(k => k.Selector).ToListAsync(cancellationToken);
        db.DkimKeys.Add(DkimKeyFactory.Create(command.Id, taken, now, DkimKeyState.Pending));
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict("Another rotation of this domain's key happened at the same time: read GET dns/ for the new selector.");
        }

        var after = await DomainDnsReader.LoadAsync(db, caller, command.Id, cancellationToken);
        return await DomainDnsReader.ViewAsync(db, after.Value, options.Value, now, null, cancellationToken);
    }
}

public sealed class RotateDkimKeyEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/domains/{id:long}/dkim/rotate", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new RotateDkimKeyCommand(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("RotateDkimKey").Returns<DomainDnsDto>().Fails(409);
    }
}

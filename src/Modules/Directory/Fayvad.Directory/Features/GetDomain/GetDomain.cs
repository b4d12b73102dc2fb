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

namespace Fayvad.Directory.Features.GetDomain;

/// <summary>One domain as the list shows it, to whoever the list would show it.</summary>
internal sealed record GetDomainQuery(long Id) : IQuery<Result<DomainDto>>;

internal sealed class GetDomainHandler(DirectoryDbContext db, ICurrentUser caller) : IQueryHandler<GetDomainQuery, Result<DomainDto>>
{
    public async ValueTask<Result<DomainDto>> Handle(GetDomainQuery query, CancellationToken cancellationToken)
    {
        var domain = await db.Domains.AsNoTracking().VisibleTo(caller).Where(d => d.Id == query.Id).SelectDto(db).SingleOrDefaultAsync(cancellationToken);
        return domain is null ? Error.NotFound("Domain not found.") : domain;
    }
}

public sealed class GetDomainEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/domains/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetDomainQuery(id), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("GetDomain").Returns<DomainDto>();
    }
}

using Carter;
using Fayvad.Directory.Data;
using Fayvad.Directory.Dkim;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Features.DomainDns;

/// <summary>
/// The records a domain must publish (MX, SPF, DKIM per live selector, DMARC, RFC 6186 SRV), each with name, type,
/// value and an explanation, and whether its mail is signed yet. The client's generate-spf/-dkim/-dmarc are the same
/// list cut to one purpose (docs/adr/0019).
/// </summary>
internal sealed record GetDomainDnsQuery(long Id, string? Purpose) : IQuery<Result<DomainDnsDto>>;

internal sealed class GetDomainDnsHandler(DirectoryDbContext db, ICurrentUser caller, IOptions<DnsOptions> options, TimeProvider clock)
    : IQueryHandler<GetDomainDnsQuery, Result<DomainDnsDto>>
{
    public async ValueTask<Result<DomainDnsDto>> Handle(GetDomainDnsQuery query, CancellationToken cancellationToken)
    {
        var subject = await DomainDnsReader.LoadAsync(db, caller, query.Id, cancellationToken);
        if (!subject.IsSuccess)
        {
            return subject.Error;
        }

        return await DomainDnsReader.ViewAsync(db, subject.Value, options.Value, clock.GetUtcNow(), query.Purpose, cancellationToken);
    }
}

public sealed class DomainDnsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/domains/{id:long}/dns", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new GetDomainDnsQuery(id, null), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("GetDomainDns").Returns<DomainDnsDto>();
        foreach (var purpose in new[] { DomainDnsRecords.Spf, DomainDnsRecords.Dkim, DomainDnsRecords.Dmarc })
        {
            app.MapPost(ApiRoutes.Root + $"/domains/{{id:long}}/generate-{purpose}", async (long id, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new GetDomainDnsQuery(id, purpose), ct)).ToOk())
                .RequireAdmin().WithTags("Directory").WithName("GenerateDomain" + char.ToUpperInvariant(purpose[0]) + purpose[1..]).Returns<DomainDnsDto>();
        }
    }
}

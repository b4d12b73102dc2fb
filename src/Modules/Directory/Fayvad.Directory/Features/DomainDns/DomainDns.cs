using Carter;
using Fayvad.Directory.Data;
using Fayvad.Directory.Dkim;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Modules;
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

/// <summary>
/// `Fayvad.Host dns-zone DOMAIN`: the records dns/ lists, as RFC 1035 zone-file lines to paste into the domain's zone;
/// deploy/stack.sh up writes them into its NSD's zone of the demo domain on every run, so the zone always holds the
/// selectors the Directory has now (a rotated key's new one, a retired one during its overlap). Exit 2: no such domain.
/// </summary>
internal sealed class DnsZoneCommandLine(DirectoryDbContext db, IOptions<DnsOptions> options, TimeProvider clock) : IModuleCommand
{
    public string Name => "dns-zone";

    public string Usage => "DOMAIN (print the records dns/ lists as zone-file lines)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args is not [var domain] || domain.StartsWith('-'))
        {
            await error.WriteLineAsync($"usage: dns-zone {Usage}");
            return 2;
        }

        var subject = await DomainDnsReader.LoadByNameAsync(db, domain, cancellationToken);
        if (subject is null)
        {
            await error.WriteLineAsync($"No domain {domain} here (or it is deleted).");
            return 2;
        }

        await output.WriteLineAsync($"; {subject.Name}: the records GET domains/{subject.Id}/dns/ lists");
        foreach (var record in DomainDnsRecords.For(subject.Name, subject.Keys, options.Value, clock.GetUtcNow()))
        {
            await output.WriteLineAsync($"; {record.Explanation}");
            await output.WriteLineAsync($"{record.Name}. IN {record.Type} {ZoneData(record)}");
        }

        return 0;
    }

    /// <summary>TXT as quoted strings of at most 255 bytes (a DKIM key is longer); MX and SRV end in an absolute host name.</summary>
    public static string ZoneData(DnsRecordDto record) => record.Type == "TXT"
        ? string.Join(' ', record.Value.Chunk(255).Select(c => "\"" + new string(c).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""))
        : record.Value + ".";
}

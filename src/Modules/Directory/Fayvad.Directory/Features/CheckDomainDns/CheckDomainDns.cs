using System.Globalization;
using System.Text.Json;
using Carter;
using Fayvad.Directory.Data;
using Fayvad.Directory.Dkim;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Modules;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fayvad.Directory.Features.CheckDomainDns;

/// <summary>What a check answers: per record expected vs found and a status; the whole is kept as the domain's last check.</summary>
internal sealed record DnsCheckDto(
    long DomainId, string Domain, DateTimeOffset CheckedAt, string Status, string Resolver, IReadOnlyList<DnsCheckItem> Records, DkimStatusDto Dkim);

/// <summary>
/// Live check of a domain's records through the configured resolver: dns-check and verify-dns check all, verify-spf,
/// -dkim and -dmarc one purpose. A pending DKIM key whose record is seen becomes the signing key here, and the key it
/// replaces is retired but stays published for the overlap (docs/adr/0019). Only DNS is waited on, never a lock.
/// </summary>
internal sealed record CheckDomainDnsCommand(long Id, string? Purpose) : ICommand<Result<DnsCheckDto>>;

internal sealed class CheckDomainDnsHandler(DirectoryDbContext db, ICurrentUser caller, DomainDnsCheckRunner check)
    : ICommandHandler<CheckDomainDnsCommand, Result<DnsCheckDto>>
{
    public async ValueTask<Result<DnsCheckDto>> Handle(CheckDomainDnsCommand command, CancellationToken cancellationToken)
    {
        var loaded = await DomainDnsReader.LoadAsync(db, caller, command.Id, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Error;
        }

        return await check.RunAsync(loaded.Value, command.Purpose, cancellationToken);
    }
}

/// <summary>
/// The check itself, for the routes (an admin of the domain) and for the Host's `dns-check` command (the operator,
/// e.g. deploy/stack.sh up for the demo domain).
/// </summary>
internal sealed class DomainDnsCheckRunner(DirectoryDbContext db, DnsChecker checker, IOptions<DnsOptions> options, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<DnsCheckDto> RunAsync(DomainDnsSubject subject, string? purpose, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var expected = DomainDnsRecords.For(subject.Name, subject.Keys, options.Value, now)
            .Where(r => purpose is null || r.Purpose == purpose).ToList();
        var items = await checker.CheckAsync(expected, cancellationToken);

        if (purpose is null or DomainDnsRecords.Dkim)
        {
            await PromoteSeenKeyAsync(subject, items, now, cancellationToken);
        }

        var records = await StoreAsync(subject.Id, purpose, items, now, cancellationToken);
        var after = await DomainDnsReader.LoadByNameAsync(db, subject.Name, cancellationToken);
        var keys = after?.Keys ?? subject.Keys;
        return new DnsCheckDto(subject.Id, subject.Name, now, Overall(records), checker.Resolver, items,
            DomainDnsRecords.Status(subject.Enabled, subject.DkimEnabled, keys));
    }

    /// <summary>The newest pending key whose record resolved correctly starts signing; the active one retires.</summary>
    private async Task PromoteSeenKeyAsync(DomainDnsSubject subject, List<DnsCheckItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seen = items.Where(i => i.Purpose == DomainDnsRecords.Dkim && i.Status == DnsChecker.Ok).Select(i => i.Selector).ToHashSet();
        var next = subject.Keys.LastOrDefault(k => k.State == DkimKeyState.Pending && seen.Contains(k.Selector));
        if (next is null)
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            // Retire first: the one-active-key index would refuse the new key while the old one is still active.
            await db.DkimKeys.Where(k => k.DomainId == subject.Id && k.State == DkimKeyState.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.State, DkimKeyState.Retired).SetProperty(k => k.RetiredAt, now), cancellationToken);
            await db.DkimKeys.Where(k => k.DomainId == subject.Id && k.Selector == next.Selector && k.State == DkimKeyState.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.State, DkimKeyState.Active).SetProperty(k => k.ActivatedAt, now), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent check promoted it first: the outcome is the same.
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
        }
    }

    /// <summary>Keeps the last result per record; a verify-* of one purpose replaces only that purpose's records.</summary>
    private async Task<List<DnsCheckItem>> StoreAsync(long domainId, string? purpose, List<DnsCheckItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = await db.DnsChecks.SingleOrDefaultAsync(c => c.DomainId == domainId, cancellationToken);
        var records = items;
        if (purpose is not null && row is not null)
        {
            var previous = JsonSerializer.Deserialize<List<DnsCheckItem>>(row.Records, Json) ?? [];
            records = [.. previous.Where(r => r.Purpose != purpose), .. items];
        }

        var json = JsonSerializer.Serialize(records, Json);
        if (row is null)
        {
            db.DnsChecks.Add(new DomainDnsCheck { DomainId = domainId, CheckedAt = now, Status = Overall(records), Records = json });
        }
        else
        {
            row.CheckedAt = now;
            row.Status = Overall(records);
            row.Records = json;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two first checks of one domain at once: the other's result is as recent; ours is still answered.
            db.ChangeTracker.Clear();
        }

        return records;
    }

    private static string Overall(IReadOnlyCollection<DnsCheckItem> records) =>
        records.All(r => r.Status == DnsChecker.Ok) ? "ok"
        : records.All(r => r.Status is DnsChecker.Ok or DnsChecker.Unreachable) ? DnsChecker.Unreachable
        : "problems";
}

public sealed class CheckDomainDnsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/domains/{id:long}/dns-check", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new CheckDomainDnsCommand(id, null), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("CheckDomainDns").Returns<DnsCheckDto>();
        app.MapPost(ApiRoutes.Root + "/domains/{id:long}/verify-dns", async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new CheckDomainDnsCommand(id, null), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("VerifyDomainDns").Returns<DnsCheckDto>();
        foreach (var purpose in new[] { DomainDnsRecords.Spf, DomainDnsRecords.Dkim, DomainDnsRecords.Dmarc })
        {
            app.MapPost(ApiRoutes.Root + $"/domains/{{id:long}}/verify-{purpose}", async (long id, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new CheckDomainDnsCommand(id, purpose), ct)).ToOk())
                .RequireAdmin().WithTags("Directory").WithName("VerifyDomain" + char.ToUpperInvariant(purpose[0]) + purpose[1..]).Returns<DnsCheckDto>();
        }
    }
}

/// <summary>
/// `Fayvad.Host dns-check DOMAIN [--wait=SECONDS]`: the check of dns-check/, run by the operator; deploy/stack.sh up runs
/// it for the demo domain after publishing its records, so a seen key signs from the first send. With --wait it checks
/// again until every record is ok, at most that long (a zone just reloaded takes a moment to be served). Exit 0 when
/// every record is ok, 1 when not, 2 for a wrong call or an unknown domain.
/// </summary>
internal sealed class DnsCheckCommandLine(DirectoryDbContext db, DomainDnsCheckRunner check, TimeProvider clock) : IModuleCommand
{
    public string Name => "dns-check";

    public string Usage => "DOMAIN [--wait=SECONDS] (check its DNS records as dns-check/ does; a seen DKIM key starts signing)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string? domain = null;
        var wait = TimeSpan.Zero;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--wait=", StringComparison.Ordinal)
                && double.TryParse(arg["--wait=".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 600)
            {
                wait = TimeSpan.FromSeconds(seconds);
            }
            else if (!arg.StartsWith('-') && domain is null)
            {
                domain = arg;
            }
            else
            {
                await error.WriteLineAsync($"usage: dns-check {Usage}");
                return 2;
            }
        }

        if (domain is null)
        {
            await error.WriteLineAsync($"usage: dns-check {Usage}");
            return 2;
        }

        var deadline = clock.GetUtcNow() + wait;
        DnsCheckDto result;
        while (true)
        {
            var subject = await DomainDnsReader.LoadByNameAsync(db, domain, cancellationToken);
            if (subject is null)
            {
                await error.WriteLineAsync($"No domain {domain} here (or it is deleted).");
                return 2;
            }

            result = await check.RunAsync(subject, null, cancellationToken);
            if (result.Status == "ok" || clock.GetUtcNow() >= deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), clock, cancellationToken);
        }

        await output.WriteLineAsync(FormattableString.Invariant($"{result.Domain}: {result.Status} (resolver {result.Resolver}, {result.CheckedAt:yyyy-MM-ddTHH:mm:ssZ})"));
        foreach (var record in result.Records)
        {
            await output.WriteLineAsync($"  {record.Status,-11} {record.Type,-4} {record.Name}: {record.Detail}");
        }

        await output.WriteLineAsync($"dkim: {result.Dkim.Status}: {result.Dkim.Message}");
        return result.Status == "ok" ? 0 : 1;
    }
}

using System.Text.Json;
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

internal sealed class CheckDomainDnsHandler(
    DirectoryDbContext db, ICurrentUser caller, DnsChecker checker, IOptions<DnsOptions> options, TimeProvider clock)
    : ICommandHandler<CheckDomainDnsCommand, Result<DnsCheckDto>>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async ValueTask<Result<DnsCheckDto>> Handle(CheckDomainDnsCommand command, CancellationToken cancellationToken)
    {
        var loaded = await DomainDnsReader.LoadAsync(db, caller, command.Id, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Error;
        }

        var subject = loaded.Value;
        var now = clock.GetUtcNow();
        var expected = DomainDnsRecords.For(subject.Name, subject.Keys, options.Value, now)
            .Where(r => command.Purpose is null || r.Purpose == command.Purpose).ToList();
        var items = await checker.CheckAsync(expected, cancellationToken);

        if (command.Purpose is null or DomainDnsRecords.Dkim)
        {
            await PromoteSeenKeyAsync(subject, items, now, cancellationToken);
        }

        var records = await StoreAsync(subject.Id, command.Purpose, items, now, cancellationToken);
        var after = await DomainDnsReader.LoadAsync(db, caller, command.Id, cancellationToken);
        var keys = after.IsSuccess ? after.Value.Keys : subject.Keys;
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

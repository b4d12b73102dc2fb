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

namespace Fayvad.Directory.Features.SenderRules;

/// <summary>
/// One entry of a domain's allow or block list: <c>sender</c> is an address or <c>@domain</c> (a whole domain),
/// <c>action</c> <c>allow</c> (never filed as spam) or <c>block</c> (always filed into Junk). rspamd reads them within
/// seconds (docs/adr/0035); they count only while the domain has antispam on.
/// </summary>
internal sealed record SenderRuleDto(long Id, string Sender, string Action, DateTimeOffset CreatedAt);

internal sealed record ListSenderRulesQuery(long DomainId) : IQuery<Result<IReadOnlyList<SenderRuleDto>>>;

internal sealed record AddSenderRuleBody(string? Sender, string? Action);

internal sealed record AddSenderRuleCommand(long DomainId, AddSenderRuleBody Body) : ICommand<Result<SenderRuleDto>>;

internal sealed record DeleteSenderRuleCommand(long DomainId, long RuleId) : ICommand<Result<bool>>;

internal sealed class AddSenderRuleValidator : AbstractValidator<AddSenderRuleCommand>
{
    public AddSenderRuleValidator()
    {
        RuleFor(c => c.Body.Sender).NotEmpty().OverridePropertyName("sender").WithMessage("sender is required: an address or @domain.")
            .Must(SenderRuleAccess.IsSender).When(c => !string.IsNullOrEmpty(c.Body.Sender), ApplyConditionTo.CurrentValidator)
            .OverridePropertyName("sender").WithMessage("sender must be an address (name@example.com) or a whole domain (@example.com).");
        RuleFor(c => c.Body.Action).Must(a => a is "allow" or "block").OverridePropertyName("action")
            .WithMessage("action must be \"allow\" (never spam) or \"block\" (always spam).");
    }
}

internal static class SenderRuleAccess
{
    public static bool IsSender(string? value) =>
        value?.Trim() is { Length: > 1 and <= 320 } s && (s[0] == '@' ? Addresses.IsDomainName(s[1..]) : Addresses.IsAddress(s));

    /// <summary>The domain when the caller administers its organization; otherwise not found (whose it is stays unsaid).</summary>
    public static async Task<Result<MailDomain>> DomainAsync(DirectoryDbContext db, ICurrentUser caller, long id, CancellationToken ct)
    {
        var domain = await db.Domains.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, ct);
        return domain is null || !caller.IsAdmin() || !caller.CanManage(domain.OrganizationId) ? Error.NotFound("Domain not found.") : domain;
    }

    public static SenderRuleDto Dto(SenderRule r) =>
        new(r.Id, r.Sender, r.Action == SenderRuleAction.Block ? "block" : "allow", r.CreatedAt);
}

internal sealed class ListSenderRulesHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<ListSenderRulesQuery, Result<IReadOnlyList<SenderRuleDto>>>
{
    public async ValueTask<Result<IReadOnlyList<SenderRuleDto>>> Handle(ListSenderRulesQuery query, CancellationToken cancellationToken)
    {
        var domain = await SenderRuleAccess.DomainAsync(db, caller, query.DomainId, cancellationToken);
        if (!domain.IsSuccess)
        {
            return domain.Error;
        }

        var rules = await db.SenderRules.AsNoTracking().Where(r => r.DomainId == query.DomainId).OrderBy(r => r.Sender).ToListAsync(cancellationToken);
        return rules.Select(SenderRuleAccess.Dto).ToList();
    }
}

internal sealed class AddSenderRuleHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<AddSenderRuleCommand, Result<SenderRuleDto>>
{
    public async ValueTask<Result<SenderRuleDto>> Handle(AddSenderRuleCommand command, CancellationToken cancellationToken)
    {
        var domain = await SenderRuleAccess.DomainAsync(db, caller, command.DomainId, cancellationToken);
        if (!domain.IsSuccess)
        {
            return domain.Error;
        }

        var sender = Addresses.Normalize(command.Body.Sender!);
        var rule = new SenderRule
        {
            DomainId = command.DomainId,
            Sender = sender,
            Action = command.Body.Action == "block" ? SenderRuleAction.Block : SenderRuleAction.Allow,
            CreatedAt = clock.GetUtcNow(),
        };
        db.SenderRules.Add(rule);
        return await db.TrySaveUniqueAsync(cancellationToken)
            ? SenderRuleAccess.Dto(rule)
            : Error.Conflict($"{sender} is already on this domain's list: delete that entry first to change it.");
    }
}

internal sealed class DeleteSenderRuleHandler(DirectoryDbContext db, ICurrentUser caller) : ICommandHandler<DeleteSenderRuleCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(DeleteSenderRuleCommand command, CancellationToken cancellationToken)
    {
        var domain = await SenderRuleAccess.DomainAsync(db, caller, command.DomainId, cancellationToken);
        if (!domain.IsSuccess)
        {
            return domain.Error;
        }

        var deleted = await db.SenderRules.Where(r => r.DomainId == command.DomainId && r.Id == command.RuleId).ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? Error.NotFound("No such entry on this domain's list.") : true;
    }
}

public sealed class SenderRulesEndpoints : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        const string path = ApiRoutes.Root + "/domains/{id:long}/sender-rules";
        app.MapGet(path, async (long id, ISender sender, CancellationToken ct) => (await sender.Send(new ListSenderRulesQuery(id), ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("ListSenderRules").Returns<IReadOnlyList<SenderRuleDto>>()
            .WithDescription("The domain's spam allow and block list (docs/adr/0035), as a bare array sorted by sender.");
        app.MapPost(path, async (long id, AddSenderRuleBody body, ISender sender, CancellationToken ct) =>
                (await sender.Send(new AddSenderRuleCommand(id, body), ct))
                .ToHttp(rule => Results.Created($"{ApiRoutes.Root}/domains/{id}/sender-rules/{rule.Id}/", rule)))
            .RequireAdmin().WithTags("Directory").WithName("AddSenderRule").Returns<SenderRuleDto>(StatusCodes.Status201Created).Fails(409)
            .WithDescription("Puts a sender (an address, or @domain for a whole domain) on the domain's allow list (never filed as spam) or "
                + "block list (always filed into Junk); the mail server applies it within seconds, while the domain has antispam on.");
        app.MapDelete(path + "/{ruleId:long}", async Task<IResult> (long id, long ruleId, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteSenderRuleCommand(id, ruleId), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAdmin().WithTags("Directory").WithName("DeleteSenderRule").Produces(StatusCodes.Status204NoContent);
    }
}

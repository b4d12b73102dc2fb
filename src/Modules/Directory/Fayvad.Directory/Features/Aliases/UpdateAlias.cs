using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Shared.Validation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.Aliases;

/// <summary>
/// PATCH some fields, or PUT the object as GET returns it. <c>address</c> cannot change (give the one it has, or
/// none); <c>expires_at</c>: null leaves it on PATCH and clears it on PUT. Read-only fields of the GET shape are ignored.
/// </summary>
internal sealed record UpdateAliasBody(
    string? Address,
    IReadOnlyList<string?>? Recipients,
    bool? Enabled,
    bool? InternalOnly,
    DateTimeOffset? ExpiresAt,
    string? Description);

internal sealed record UpdateAliasCommand(long Id, UpdateAliasBody Body, bool Replace) : ICommand<Result<AliasDto>>;

internal sealed class UpdateAliasValidator : AbstractValidator<UpdateAliasCommand>
{
    public UpdateAliasValidator()
    {
        RuleFor(c => c.Body.Address).MaximumLength(254).SingleLine().OverridePropertyName("address");
        RuleFor(c => c.Body.Description).MaximumLength(AliasWrites.DescriptionMaxLength).SingleLine().OverridePropertyName("description");
    }
}

internal sealed class UpdateAliasHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<UpdateAliasCommand, Result<AliasDto>>
{
    public async ValueTask<Result<AliasDto>> Handle(UpdateAliasCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can change aliases.");
        }

        var body = command.Body;
        var alias = await db.Aliases.Include(a => a.Domain).SingleOrDefaultAsync(a => a.Id == command.Id, cancellationToken);
        if (alias is null || !caller.CanManage(alias.Domain.OrganizationId))
        {
            return Error.NotFound("Alias not found.");
        }

        if (body.Address is { } address && Addresses.Normalize(address) != alias.Address)
        {
            return Error.Validation("address", $"address cannot change (it is {alias.Address}): add a new alias and delete this one.");
        }

        var internalOnly = body.InternalOnly ?? alias.InternalOnly;
        if (AliasWrites.CheckInternalOnly(alias.LocalPart, internalOnly) is { } catchAllInternal)
        {
            return catchAllInternal;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(alias.Domain.OrganizationId, cancellationToken);
        var recipients = alias.Recipients;
        if (body.Recipients is not null)
        {
            var normalized = AliasRules.NormalizeRecipients(body.Recipients, "recipients");
            if (!normalized.IsSuccess)
            {
                return normalized.Error;
            }

            recipients = normalized.Value;
        }

        // New recipients, or an alias that starts taking outside mail: where it leads is checked again.
        if (body.Recipients is not null || (alias.InternalOnly && !internalOnly))
        {
            var field = body.Recipients is not null ? "recipients" : "internal_only";
            if (await AliasRules.CheckTargetsAsync(db, alias.Address, internalOnly, recipients, field, cancellationToken) is { } targets)
            {
                return targets;
            }
        }

        if (internalOnly && !alias.InternalOnly
            && await AliasRules.CheckNotReachedFromOutsideAsync(db, alias.Address, cancellationToken) is { } reached)
        {
            return reached;
        }

        alias.Recipients = recipients;
        alias.Enabled = body.Enabled ?? alias.Enabled;
        alias.InternalOnly = internalOnly;
        alias.ExpiresAt = body.ExpiresAt ?? (command.Replace ? null : alias.ExpiresAt);
        alias.Description = body.Description?.Trim() ?? alias.Description;
        var now = clock.GetUtcNow();
        alias.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await db.Aliases.Where(a => a.Id == alias.Id).SelectDto(now).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateAliasEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/org/aliases/{id:long}", (long id, UpdateAliasBody body, ISender sender, CancellationToken ct) =>
                HandleAsync(new UpdateAliasCommand(id, body, Replace: false), sender, ct))
            .RequireAdmin().WithTags("Directory").WithName("UpdateAlias").Returns<AliasDto>().Fails(403, 409);

        app.MapPut(ApiRoutes.Root + "/org/aliases/{id:long}", (long id, UpdateAliasBody body, ISender sender, CancellationToken ct) =>
                HandleAsync(new UpdateAliasCommand(id, body, Replace: true), sender, ct))
            .RequireAdmin().WithTags("Directory").WithName("ReplaceAlias").Returns<AliasDto>().Fails(403, 409);
    }

    private static async Task<IResult> HandleAsync(UpdateAliasCommand command, ISender sender, CancellationToken ct) =>
        (await sender.Send(command, ct)).ToOk();
}

using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
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
/// Adds an alias: <c>address</c> at one of the organization's domains ("@domain" is the domain's catch-all),
/// <c>recipients</c> (mailboxes, other aliases, outside addresses), <c>enabled</c>, <c>internal_only</c>, optional
/// <c>expires_at</c> and <c>description</c>. Postfix reads it at once from the view mail_virtual (docs/adr/0034).
/// </summary>
internal sealed record CreateAliasCommand(
    string? Address,
    IReadOnlyList<string?>? Recipients,
    bool? Enabled,
    bool? InternalOnly,
    DateTimeOffset? ExpiresAt,
    string? Description) : ICommand<Result<AliasDto>>;

internal sealed class CreateAliasValidator : AbstractValidator<CreateAliasCommand>
{
    public CreateAliasValidator()
    {
        RuleFor(c => c.Address).NotEmpty().WithMessage("address is required: such as info@example.com, or @example.com for a catch-all.");
        RuleFor(c => c.Address).MaximumLength(254).SingleLine();
        RuleFor(c => c.Recipients).NotEmpty().WithMessage("recipients must list at least one address.");
        RuleFor(c => c.Description).MaximumLength(AliasWrites.DescriptionMaxLength).SingleLine();
    }
}

internal sealed class CreateAliasHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<CreateAliasCommand, Result<AliasDto>>
{
    public async ValueTask<Result<AliasDto>> Handle(CreateAliasCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can add aliases.");
        }

        var resolved = await AliasWrites.ResolveAddressAsync(db, caller, command.Address, cancellationToken);
        if (!resolved.IsSuccess)
        {
            return resolved.Error;
        }

        var (address, localPart, domain) = resolved.Value;
        if (AliasWrites.CheckInternalOnly(localPart, command.InternalOnly ?? false) is { } internalOnly)
        {
            return internalOnly;
        }

        var recipients = AliasRules.NormalizeRecipients(command.Recipients, "recipients");
        if (!recipients.IsSuccess)
        {
            return recipients.Error;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Mailbox and alias creation of one organization take turns: neither can take the other's new address.
        await db.LockOrganizationAsync(domain.OrganizationId, cancellationToken);
        // A new alias at a deleted one's address replaces it: the admin's latest word wins over a restore.
        await db.Aliases.IgnoreQueryFilters().Where(a => a.Address == address && a.DeletedAt != null).ExecuteDeleteAsync(cancellationToken);
        if (await AliasWrites.CheckNotShadowingAsync(db, address, null, cancellationToken) is { } shadow)
        {
            return shadow;
        }

        if (await AliasRules.CheckTargetsAsync(db, address, command.InternalOnly ?? false, recipients.Value, "recipients", cancellationToken) is { } targets)
        {
            return targets;
        }

        var now = clock.GetUtcNow();
        var alias = new MailAlias
        {
            DomainId = domain.Id,
            LocalPart = localPart,
            Address = address,
            Recipients = recipients.Value,
            Enabled = command.Enabled ?? true,
            InternalOnly = command.InternalOnly ?? false,
            ExpiresAt = command.ExpiresAt,
            Description = command.Description?.Trim() ?? "",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Aliases.Add(alias);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"address: the alias {address} already exists.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.Aliases.Where(a => a.Id == alias.Id).SelectDto(now).SingleAsync(cancellationToken);
    }
}

public sealed class CreateAliasEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/org/aliases", async (CreateAliasCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToHttp(alias => Results.Created($"{ApiRoutes.Root}/org/aliases/{alias.Id}/", alias)))
            .RequireAdmin().WithTags("Directory").WithName("CreateAlias")
            .WithDescription("Adds an alias (address \"@domain\": the domain's catch-all, which never takes mail for an existing "
                + "mailbox or alias). Refused: an address a mailbox has (409), a recipient at a hosted domain that names nothing "
                + "there, and recipients that would bring mail back to the alias (400 naming the loop).")
            .Returns<AliasDto>(StatusCodes.Status201Created).Fails(403, 409);
    }
}

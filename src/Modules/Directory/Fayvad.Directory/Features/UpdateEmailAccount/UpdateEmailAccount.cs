using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Directory.Accounts;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.UpdateEmailAccount;

/// <summary>
/// Our names (<c>display_name</c>, <c>quota_mb</c>, <c>enabled</c>) and the client's (<c>first_name</c>, <c>last_name</c>,
/// <c>quota</c> in MB, <c>is_active</c>); each pair of synonyms must agree when both are sent.
/// </summary>
internal sealed record UpdateEmailAccountBody(
    string? DisplayName, string? FirstName, string? LastName, int? QuotaMb, int? Quota, bool? Enabled, bool? IsActive, int? MessageLimit = null);

internal sealed record UpdateEmailAccountCommand(
    long Id, string? DisplayName, string? FirstName, string? LastName, int? QuotaMb, int? Quota, bool? Enabled, bool? IsActive, int? MessageLimit = null)
    : ICommand<Result<EmailAccountDto>>
{
    public int? EffectiveQuotaMb => QuotaMb ?? Quota;
    public bool? EffectiveEnabled => Enabled ?? IsActive;
}

internal sealed class UpdateEmailAccountValidator : AbstractValidator<UpdateEmailAccountCommand>
{
    public UpdateEmailAccountValidator()
    {
        RuleFor(c => c.DisplayName).MaximumLength(200).SingleLine();
        RuleFor(c => c.FirstName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.LastName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.QuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(c => c.MessageLimit).GreaterThanOrEqualTo(0).WithMessage("message_limit must be 0 (no limit) or more recipients an hour.");
        RuleFor(c => c.Quota).GreaterThanOrEqualTo(0).WithMessage("quota (MB) must be 0 (unlimited) or more.");
        RuleFor(c => c.Quota).Equal(c => c.QuotaMb).When(c => c.Quota is not null && c.QuotaMb is not null)
            .WithMessage("quota and quota_mb are both megabytes and must agree; send one of them.");
        RuleFor(c => c.IsActive).Equal(c => c.Enabled).When(c => c.IsActive is not null && c.Enabled is not null)
            .WithMessage("is_active and enabled mean the same and must agree; send one of them.");
    }
}

internal sealed class UpdateEmailAccountHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateEmailAccountCommand, Result<EmailAccountDto>>
{
    public async ValueTask<Result<EmailAccountDto>> Handle(UpdateEmailAccountCommand command, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.Include(a => a.Domain).Include(a => a.User)
            .SingleOrDefaultAsync(a => a.Id == command.Id, cancellationToken);
        if (account is null || !caller.IsAdmin() || !caller.CanManage(account.Domain.OrganizationId))
        {
            return Error.NotFound("Email account not found.");
        }

        var field = command.Enabled is null && command.IsActive is not null ? "is_active" : "enabled";
        if (command.EffectiveEnabled == false && account.UserId == caller.UserId)
        {
            return Error.Validation(field, $"{field}: you cannot disable your own mailbox.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(account.Domain.OrganizationId, cancellationToken);
        if (command.EffectiveQuotaMb is { } quota && quota != account.QuotaMb)
        {
            if (await db.CheckAccountFitsAsync(account.Domain, quota, account.Id, cancellationToken) is { } limit)
            {
                return limit;
            }

            account.QuotaMb = quota;
        }

        var user = account.User;
        var namesAsDisplayed = $"{user.FirstName} {user.LastName}".Trim();
        user.FirstName = command.FirstName?.Trim() ?? user.FirstName;
        user.LastName = command.LastName?.Trim() ?? user.LastName;
        if (command.DisplayName is not null)
        {
            account.DisplayName = command.DisplayName.Trim();
        }
        else if (account.DisplayName == namesAsDisplayed)
        {
            // A display name that was only the user's names follows them.
            account.DisplayName = $"{user.FirstName} {user.LastName}".Trim();
        }

        account.Enabled = command.EffectiveEnabled ?? account.Enabled;
        account.MessageLimit = command.MessageLimit ?? account.MessageLimit;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await db.EmailAccounts.Where(a => a.Id == account.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateEmailAccountEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/org/email-accounts/{id:long}", HandleAsync)
            .RequireAdmin().WithTags("Directory").WithName("UpdateEmailAccount").Returns<EmailAccountDto>().Fails(403, 409);

        // PUT carries the whole object; fields it leaves out keep their values, as with PATCH.
        app.MapPut(ApiRoutes.Root + "/org/email-accounts/{id:long}", HandleAsync)
            .RequireAdmin().WithTags("Directory").WithName("ReplaceEmailAccount").Returns<EmailAccountDto>().Fails(403, 409);
    }

    private static async Task<IResult> HandleAsync(long id, UpdateEmailAccountBody body, ISender sender, CancellationToken ct) =>
        (await sender.Send(new UpdateEmailAccountCommand(
            id, body.DisplayName, body.FirstName, body.LastName, body.QuotaMb, body.Quota, body.Enabled, body.IsActive, body.MessageLimit), ct)).ToOk();
}

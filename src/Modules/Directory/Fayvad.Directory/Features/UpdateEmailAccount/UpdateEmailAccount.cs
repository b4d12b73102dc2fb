using Carter;
using FluentValidation;
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

namespace Fayvad.Directory.Features.UpdateEmailAccount;

internal sealed record UpdateEmailAccountBody(string? DisplayName, int? QuotaMb, bool? Enabled);

internal sealed record UpdateEmailAccountCommand(long Id, string? DisplayName, int? QuotaMb, bool? Enabled)
    : ICommand<Result<EmailAccountDto>>;

internal sealed class UpdateEmailAccountValidator : AbstractValidator<UpdateEmailAccountCommand>
{
    public UpdateEmailAccountValidator()
    {
        RuleFor(c => c.DisplayName).MaximumLength(200);
        RuleFor(c => c.QuotaMb).GreaterThanOrEqualTo(0);
    }
}

internal sealed class UpdateEmailAccountHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateEmailAccountCommand, Result<EmailAccountDto>>
{
    public async ValueTask<Result<EmailAccountDto>> Handle(UpdateEmailAccountCommand command, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.Include(a => a.Domain).SingleOrDefaultAsync(a => a.Id == command.Id, cancellationToken);
        if (account is null || !caller.IsAdmin() || !caller.CanManage(account.Domain.OrganizationId))
        {
            return Error.NotFound("Email account not found.");
        }

        if (command.Enabled == false && account.UserId == caller.UserId)
        {
            return Error.Validation("enabled", "enabled: you cannot disable your own mailbox.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(account.Domain.OrganizationId, cancellationToken);
        if (command.QuotaMb is { } quota && quota != account.QuotaMb)
        {
            if (await db.CheckAccountFitsAsync(account.Domain, quota, account.Id, cancellationToken) is { } limit)
            {
                return limit;
            }

            account.QuotaMb = quota;
        }

        account.DisplayName = command.DisplayName?.Trim() ?? account.DisplayName;
        account.Enabled = command.Enabled ?? account.Enabled;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await db.EmailAccounts.Where(a => a.Id == account.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateEmailAccountEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/org/email-accounts/{id:long}",
                async (long id, UpdateEmailAccountBody body, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new UpdateEmailAccountCommand(id, body.DisplayName, body.QuotaMb, body.Enabled), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("UpdateEmailAccount");
    }
}

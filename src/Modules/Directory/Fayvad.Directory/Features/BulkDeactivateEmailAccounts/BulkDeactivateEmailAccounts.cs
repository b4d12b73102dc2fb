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

namespace Fayvad.Directory.Features.BulkDeactivateEmailAccounts;

/// <summary>Disables several mailboxes at once (no login, no delivery); all named accounts or none.</summary>
internal sealed record BulkDeactivateEmailAccountsCommand(IReadOnlyList<long>? Ids) : ICommand<Result<BulkDeactivateResponse>>;

internal sealed record BulkDeactivateResponse(int Updated, string Detail);

internal sealed class BulkDeactivateEmailAccountsValidator : AbstractValidator<BulkDeactivateEmailAccountsCommand>
{
    public const int MaxIds = 1000;

    public BulkDeactivateEmailAccountsValidator()
    {
        RuleFor(c => c.Ids).NotEmpty().WithMessage("ids is required: a non-empty list of email account ids.")
            .Must(ids => ids!.Count <= MaxIds).When(c => c.Ids is not null, ApplyConditionTo.CurrentValidator)
            .WithMessage($"ids may hold at most {MaxIds} ids per request.");
    }
}

internal sealed class BulkDeactivateEmailAccountsHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<BulkDeactivateEmailAccountsCommand, Result<BulkDeactivateResponse>>
{
    public async ValueTask<Result<BulkDeactivateResponse>> Handle(BulkDeactivateEmailAccountsCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can deactivate email accounts.");
        }

        var ids = command.Ids!.Distinct().ToList();
        var accounts = await db.EmailAccounts.Include(a => a.Domain).Where(a => ids.Contains(a.Id)).ToListAsync(cancellationToken);
        var missing = ids.Except(accounts.Where(a => caller.CanManage(a.Domain.OrganizationId)).Select(a => a.Id)).ToList();
        if (missing.Count > 0)
        {
            // Accounts outside the caller's scope are reported as absent, like a single lookup.
            return Error.NotFound($"Email accounts not found: {string.Join(", ", missing)}. Nothing was changed.");
        }

        if (accounts.Any(a => a.UserId == caller.UserId))
        {
            return Error.Validation("ids", "ids: you cannot deactivate your own mailbox. Nothing was changed.");
        }

        var updated = 0;
        foreach (var account in accounts.Where(a => a.Enabled))
        {
            account.Enabled = false;
            updated++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return new BulkDeactivateResponse(updated, $"{updated} email account(s) deactivated; {accounts.Count - updated} already inactive.");
    }
}

public sealed class BulkDeactivateEmailAccountsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/org/email-accounts/bulk-deactivate", async (BulkDeactivateEmailAccountsCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToOk())
            .RequireAdmin().WithTags("Directory").WithName("BulkDeactivateEmailAccounts").Returns<BulkDeactivateResponse>().Fails(403, 404);
    }
}

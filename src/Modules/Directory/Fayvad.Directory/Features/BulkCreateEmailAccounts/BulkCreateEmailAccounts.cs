using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Accounts;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.BulkCreateEmailAccounts;

/// <summary>Creates all the accounts or none.</summary>
internal sealed record BulkCreateEmailAccountsCommand(IReadOnlyList<NewEmailAccount>? Accounts) : ICommand<Result<BulkCreateResponse>>;

internal sealed record BulkCreatedAccount(long Id, string Email, string Username);

internal sealed record BulkCreateResponse(int Created, IReadOnlyList<BulkCreatedAccount> Accounts);

internal sealed class BulkCreateEmailAccountsValidator : AbstractValidator<BulkCreateEmailAccountsCommand>
{
    public const int MaxAccounts = 200;

    public BulkCreateEmailAccountsValidator()
    {
        RuleFor(c => c.Accounts).NotEmpty().WithMessage("accounts is required: a list of accounts to create.")
            .Must(a => a!.Count <= MaxAccounts).When(c => c.Accounts is { Count: > 0 }, ApplyConditionTo.CurrentValidator)
            .WithMessage($"accounts may hold at most {MaxAccounts} accounts per request.");
        RuleFor(c => c.Accounts).Custom((accounts, context) =>
        {
            for (var i = 0; accounts is not null && i < accounts.Count; i++)
            {
                if (accounts[i] is null)
                {
                    context.AddFailure($"accounts[{i}]", $"accounts[{i}] must be an object.");
                    continue;
                }

                NewEmailAccountRules.Check(accounts[i], context, $"accounts[{i}]");
            }
        });
    }
}

internal sealed class BulkCreateEmailAccountsHandler(DirectoryDbContext db, ICurrentUser caller, NewAccounts accounts)
    : ICommandHandler<BulkCreateEmailAccountsCommand, Result<BulkCreateResponse>>
{
    public async ValueTask<Result<BulkCreateResponse>> Handle(BulkCreateEmailAccountsCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can create email accounts.");
        }

        var items = command.Accounts!;
        var targets = new List<AccountTarget>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var target = await accounts.ResolveAsync(items[i], cancellationToken);
            if (!target.IsSuccess)
            {
                return At(i, target.Error);
            }

            if (targets.FindIndex(t => t.Address == target.Value.Address) is var first and >= 0)
            {
                return Error.Validation($"accounts[{i}]", $"accounts[{i}]: {target.Value.Address} is already accounts[{first}].");
            }

            targets.Add(target.Value);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var batch in targets.GroupBy(t => t.Domain.OrganizationId).OrderBy(g => g.Key))
        {
            await db.LockOrganizationAsync(batch.Key, cancellationToken);
            if (await RoomLeftAsync(batch.Key, batch.Count(), cancellationToken) is { } full)
            {
                return full;
            }
        }

        var created = new List<BulkCreatedAccount>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            // Each account is saved as it goes so the limits see the ones before it; an error rolls all back.
            var added = await accounts.AddAsync(items[i], targets[i], cancellationToken);
            if (!added.IsSuccess)
            {
                return At(i, added.Error);
            }

            created.Add(new BulkCreatedAccount(added.Value.Id, added.Value.Address, added.Value.User.Username));
        }

        await transaction.CommitAsync(cancellationToken);
        return new BulkCreateResponse(created.Count, created);
    }

    /// <summary>The organization's account limit (the client's max_users), checked for the whole batch before any is made.</summary>
    private async Task<Error?> RoomLeftAsync(long organizationId, int wanted, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == organizationId, cancellationToken);
        if (organization.MaxAccounts == 0)
        {
            return null;
        }

        var existing = await db.EmailAccounts.CountAsync(a => a.Domain.OrganizationId == organizationId, cancellationToken);
        return existing + wanted <= organization.MaxAccounts
            ? null
            : Error.Validation("accounts",
                $"Creating {wanted} accounts would pass the max_users limit of {organization.MaxAccounts} of '{organization.Name}' ({Math.Max(0, organization.MaxAccounts - existing)} left); none was created.");
    }

    private static Error At(int index, Error error) =>
        error with
        {
            Message = $"accounts[{index}]: {error.Message}",
            Fields = error.Fields?.ToDictionary(f => $"accounts[{index}].{f.Key}", f => f.Value),
        };
}

public sealed class BulkCreateEmailAccountsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/org/email-accounts/bulk-create", async (BulkCreateEmailAccountsCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToHttp(r => Results.Json(r, statusCode: StatusCodes.Status201Created)))
            .RequireAdmin().WithTags("Directory").WithName("BulkCreateEmailAccounts").Returns<BulkCreateResponse>(StatusCodes.Status201Created).Fails(403, 404, 409);
    }
}

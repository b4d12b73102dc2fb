using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Directory.Model;
using Fayvad.Directory.Passwords;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.CreateEmailAccount;

/// <summary>Creates a mailbox and the user that logs in with its address and password.</summary>
internal sealed record CreateEmailAccountCommand(
    string? Address,
    string? Password,
    string? DisplayName,
    string? FirstName,
    string? LastName,
    int? QuotaMb) : ICommand<Result<EmailAccountDto>>;

internal sealed class CreateEmailAccountValidator : AbstractValidator<CreateEmailAccountCommand>
{
    public CreateEmailAccountValidator()
    {
        RuleFor(c => c.Address).NotEmpty()
            .Must(a => Addresses.IsAddress(a?.Trim())).When(c => !string.IsNullOrEmpty(c.Address), ApplyConditionTo.CurrentValidator)
            .WithMessage("address must be a valid email address such as name@example.com.");
        RuleFor(c => c.Password).NotEmpty().MinimumLength(PasswordRules.MinLength).MaximumLength(PasswordRules.MaxLength);
        RuleFor(c => c.DisplayName).MaximumLength(200);
        RuleFor(c => c.FirstName).MaximumLength(150);
        RuleFor(c => c.LastName).MaximumLength(150);
        RuleFor(c => c.QuotaMb).GreaterThanOrEqualTo(0);
    }
}

internal sealed class CreateEmailAccountHandler(DirectoryDbContext db, ICurrentUser caller, PasswordHasher hasher, TimeProvider clock)
    : ICommandHandler<CreateEmailAccountCommand, Result<EmailAccountDto>>
{
    public async ValueTask<Result<EmailAccountDto>> Handle(CreateEmailAccountCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can create email accounts.");
        }

        var address = Addresses.Normalize(command.Address!);
        var (localPart, domainName) = Addresses.Split(address);
        var domain = await db.Domains.SingleOrDefaultAsync(d => d.Name == domainName, cancellationToken);
        if (domain is null || !caller.CanManage(domain.OrganizationId))
        {
            return Error.Validation("address", $"The domain '{domainName}' is not one of your organization's domains.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(domain.OrganizationId, cancellationToken);

        if (await db.DeletedAddressAsync(address, cancellationToken) is { } deleted)
        {
            return deleted;
        }

        if (await db.Users.AnyAsync(u => u.Username == address, cancellationToken)
            || await db.EmailAccounts.AnyAsync(a => a.Address == address, cancellationToken))
        {
            return Error.Conflict($"The address '{address}' is already taken.");
        }

        var quotaMb = command.QuotaMb ?? domain.DefaultMailboxQuotaMb;
        if (await db.CheckAccountFitsAsync(domain, quotaMb, null, cancellationToken) is { } limit)
        {
            return limit;
        }

        var now = clock.GetUtcNow();
        var user = new User
        {
            Username = address,
            Email = address,
            FirstName = command.FirstName?.Trim() ?? "",
            LastName = command.LastName?.Trim() ?? "",
            Role = UserRole.User,
            OrganizationId = domain.OrganizationId,
            PasswordHash = hasher.Hash(command.Password!),
            CreatedAt = now,
        };
        var account = new EmailAccount
        {
            User = user,
            DomainId = domain.Id,
            LocalPart = localPart,
            Address = address,
            DisplayName = command.DisplayName?.Trim() is { Length: > 0 } display ? display : $"{user.FirstName} {user.LastName}".Trim(),
            QuotaMb = quotaMb,
            CreatedAt = now,
        };
        db.EmailAccounts.Add(account);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"The address '{address}' is already taken.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.EmailAccounts.Where(a => a.Id == account.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class CreateEmailAccountEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/org/email-accounts", async (CreateEmailAccountCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(a => Results.Created($"{ApiRoutes.Root}/org/email-accounts/{a.Id}/", a)))
            .RequireAuthorization().WithTags("Directory").WithName("CreateEmailAccount");
    }
}

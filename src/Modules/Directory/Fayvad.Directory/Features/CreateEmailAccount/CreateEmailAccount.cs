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

namespace Fayvad.Directory.Features.CreateEmailAccount;

/// <summary>
/// Creates a mailbox and the user that logs in with its address and password. The quota defaults to the domain's
/// default mailbox quota. <c>UsernameRequired</c> is set by the client server's path, which always took a username.
/// </summary>
internal sealed record CreateEmailAccountCommand(NewEmailAccount Account, bool UsernameRequired = false) : ICommand<Result<EmailAccountDto>>;

internal sealed class CreateEmailAccountValidator : AbstractValidator<CreateEmailAccountCommand>
{
    public CreateEmailAccountValidator()
    {
        RuleFor(c => c.Account).Custom((account, context) => NewEmailAccountRules.Check(account, context));
        RuleFor(c => c.Account.Username).NotEmpty().When(c => c.UsernameRequired).OverridePropertyName("username")
            .WithMessage("username is required: the mailbox name, which becomes username@domain.");
    }
}

internal sealed class CreateEmailAccountHandler(DirectoryDbContext db, ICurrentUser caller, NewAccounts accounts)
    : ICommandHandler<CreateEmailAccountCommand, Result<EmailAccountDto>>
{
    public async ValueTask<Result<EmailAccountDto>> Handle(CreateEmailAccountCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an organization administrator can create email accounts.");
        }

        var target = await accounts.ResolveAsync(command.Account, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(target.Value.Domain.OrganizationId, cancellationToken);
        var added = await accounts.AddAsync(command.Account, target.Value, cancellationToken);
        if (!added.IsSuccess)
        {
            return added.Error;
        }

        await transaction.CommitAsync(cancellationToken);
        return await db.EmailAccounts.Where(a => a.Id == added.Value.Id).SelectDto(db).SingleAsync(cancellationToken);
    }
}

public sealed class CreateEmailAccountEndpoint : ICarterModule
{
    /// <summary>What both routes say about the address and where the mailbox's mail lives.</summary>
    private const string Description =
        "Creates a mailbox and the user that logs in with its address. The name before the @ holds only letters, digits and "
        + ". _ - and does not start with a dot (what the mail server accepts as a user; / \\ % * ? ~ and control characters "
        + "are read specially by paths and doveadm): anything else is a 400 naming the address. The mailbox's mail lives in a "
        + "home named by an id set once at creation, never by the address (docs/adr/0006).";

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        // The client's create page: {email, password, first_name, last_name}; exactly 201 counts as success.
        app.MapPost(ApiRoutes.Root + "/org/email-accounts", (NewEmailAccount body, ISender sender, CancellationToken ct) =>
                CreateAsync(new CreateEmailAccountCommand(body), sender, ct))
            .RequireAdmin().WithTags("Directory").WithName("CreateEmailAccount").WithDescription(Description).Returns<EmailAccountDto>(StatusCodes.Status201Created).Fails(403, 404, 409);

        // The client's server: {username, domain (a name), email, password, first_name, last_name, quota_mb}.
        app.MapPost(ApiRoutes.Root + "/org/email-accounts/create", (NewEmailAccount body, ISender sender, CancellationToken ct) =>
                CreateAsync(new CreateEmailAccountCommand(body, UsernameRequired: true), sender, ct))
            .RequireAdmin().WithTags("Directory").WithName("CreateEmailAccountByUsername").WithDescription(Description).Returns<EmailAccountDto>(StatusCodes.Status201Created).Fails(403, 404, 409);
    }

    private static async Task<IResult> CreateAsync(CreateEmailAccountCommand command, ISender sender, CancellationToken ct) =>
        (await sender.Send(command, ct)).ToHttp(a => Results.Created($"{ApiRoutes.Root}/org/email-accounts/{a.Id}/", a));
}

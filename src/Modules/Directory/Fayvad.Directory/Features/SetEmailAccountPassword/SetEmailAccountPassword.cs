using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Passwords;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.SetEmailAccountPassword;

internal sealed record SetPasswordBody(string? Password);

/// <summary>An administrator resets a mailbox's password (users change their own through /auth/change-password/).</summary>
internal sealed record SetEmailAccountPasswordCommand(long Id, string? Password) : ICommand<Result<bool>>;

internal sealed class SetEmailAccountPasswordValidator : AbstractValidator<SetEmailAccountPasswordCommand>
{
    public SetEmailAccountPasswordValidator() =>
        RuleFor(c => c.Password).NotEmpty().Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p)!);
}

internal sealed class SetEmailAccountPasswordHandler(DirectoryDbContext db, ICurrentUser caller, PasswordHasher hasher)
    : ICommandHandler<SetEmailAccountPasswordCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(SetEmailAccountPasswordCommand command, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.Include(a => a.Domain).Include(a => a.User)
            .SingleOrDefaultAsync(a => a.Id == command.Id, cancellationToken);
        if (account is null || !caller.IsAdmin() || !caller.CanManage(account.Domain.OrganizationId))
        {
            return Error.NotFound("Email account not found.");
        }

        if (account.User.Role == UserRole.Superadmin && !caller.IsSuperadmin())
        {
            return Error.Forbidden();
        }

        account.User.PasswordHash = hasher.Hash(command.Password!);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }
}

public sealed class SetEmailAccountPasswordEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/org/email-accounts/{id:long}/password",
                async (long id, SetPasswordBody body, ISender sender, CancellationToken ct) =>
                    (await sender.Send(new SetEmailAccountPasswordCommand(id, body.Password), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAdmin().WithTags("Directory").WithName("SetEmailAccountPassword").Produces(StatusCodes.Status204NoContent).Fails(403);
    }
}

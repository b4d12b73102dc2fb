using Carter;
using FluentValidation;
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

namespace Fayvad.Directory.Features.UpdateUser;

internal sealed record UpdateUserBody(string? FirstName, string? LastName, string? Email, bool? IsActive);

internal sealed record UpdateUserCommand(long Id, string? FirstName, string? LastName, string? Email, bool? IsActive)
    : ICommand<Result<UserProfile>>;

internal sealed class UpdateUserValidator : AbstractValidator<UpdateUserCommand>
{
    public UpdateUserValidator()
    {
        RuleFor(c => c.FirstName).MaximumLength(150);
        RuleFor(c => c.LastName).MaximumLength(150);
        RuleFor(c => c.Email).Must(Addresses.IsAddress!).When(c => c.Email is not null)
            .WithMessage("email must be a valid email address.");
    }
}

internal sealed class UpdateUserHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateUserCommand, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(UpdateUserCommand command, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == command.Id, cancellationToken);
        var mayEdit = user is not null && (user.Id == caller.UserId
            || (caller.IsAdmin() && user.OrganizationId is { } org && caller.CanManage(org))
            || caller.IsSuperadmin());
        if (user is null || !mayEdit)
        {
            // A user outside the caller's scope is reported as absent, so ids cannot be probed.
            return Error.NotFound("User not found.");
        }

        if (command.IsActive is { } active)
        {
            if (!caller.IsAdmin())
            {
                return Error.Forbidden("Only an administrator can enable or disable a user.");
            }

            if (user.Id == caller.UserId && !active)
            {
                return Error.Validation("is_active", "is_active: you cannot disable your own user.");
            }

            if (user.Role == UserRole.Superadmin && !caller.IsSuperadmin())
            {
                return Error.Forbidden();
            }

            user.IsActive = active;
        }

        user.FirstName = command.FirstName?.Trim() ?? user.FirstName;
        user.LastName = command.LastName?.Trim() ?? user.LastName;
        user.Email = command.Email is null ? user.Email : Addresses.Normalize(command.Email);
        await db.SaveChangesAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.Id == user.Id).SelectProfile(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateUserEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/users/{id:long}", async (long id, UpdateUserBody body, ISender sender, CancellationToken ct) =>
            (await sender.Send(new UpdateUserCommand(id, body.FirstName, body.LastName, body.Email, body.IsActive), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("UpdateUser");
    }
}

using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
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

internal sealed record UpdateUserBody(
    string? FirstName, string? LastName, string? Email, bool? IsActive, string? PhoneNumber, string? SecondaryEmail, string? Language, bool? TfaEnabled);

internal sealed record UpdateUserCommand(
    long Id, string? FirstName, string? LastName, string? Email, bool? IsActive, string? PhoneNumber, string? SecondaryEmail, string? Language, bool? TfaEnabled)
    : ICommand<Result<UserProfile>>;

internal sealed class UpdateUserValidator : AbstractValidator<UpdateUserCommand>
{
    public UpdateUserValidator()
    {
        RuleFor(c => c.FirstName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.LastName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.Email).Must(Addresses.IsAddress!).When(c => c.Email is not null)
            .WithMessage("email must be a valid email address.");
        RuleFor(c => c.PhoneNumber).Matches(ProfileRules.PhoneNumberPattern).When(c => !string.IsNullOrEmpty(c.PhoneNumber))
            .WithMessage("phone_number must be digits with optional + ( ) . / - and spaces, at most 32 characters.");
        RuleFor(c => c.SecondaryEmail).Must(Addresses.IsAddress!).When(c => !string.IsNullOrEmpty(c.SecondaryEmail))
            .WithMessage("secondary_email must be a valid email address (or \"\" to clear it).");
        RuleFor(c => c.Language).NotEmpty().Matches(ProfileRules.LanguagePattern).When(c => c.Language is not null)
            .WithMessage("language must be a language code such as en, sw or pt-br.");
    }
}

internal sealed class UpdateUserHandler(DirectoryDbContext db, ICurrentUser caller)
    : ICommandHandler<UpdateUserCommand, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(UpdateUserCommand command, CancellationToken cancellationToken)
    {
        var user = await db.Users.Include(u => u.EmailAccount).SingleOrDefaultAsync(u => u.Id == command.Id, cancellationToken);
        var mayEdit = user is not null && (user.Id == caller.UserId
            || (caller.IsAdmin() && user.OrganizationId is { } org && caller.CanManage(org))
            || caller.IsSuperadmin());
        if (user is null || !mayEdit)
        {
            // A user outside the caller's scope is reported as absent, so ids cannot be probed.
            return Error.NotFound("User not found.");
        }

        if (user.Role == UserRole.Superadmin && user.Id != caller.UserId && !caller.IsSuperadmin())
        {
            return Error.Forbidden();
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
        }

        var changes = new ProfileChanges(command.FirstName, command.LastName, command.Email, command.PhoneNumber,
            command.SecondaryEmail, command.Language, command.TfaEnabled);
        if (ProfileEditing.Apply(user, changes) is { } error)
        {
            return error;
        }

        user.IsActive = command.IsActive ?? user.IsActive;
        await db.SaveChangesAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.Id == user.Id).SelectProfile(db).SingleAsync(cancellationToken);
    }
}

public sealed class UpdateUserEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPatch(ApiRoutes.Root + "/users/{id:long}", HandleAsync)
            .RequireAuthorization().WithTags("Directory").WithName("UpdateUser").Returns<UserProfile>().Fails(403, 409);

        // PUT carries the whole object; fields it leaves out keep their values, as with PATCH.
        app.MapPut(ApiRoutes.Root + "/users/{id:long}", HandleAsync)
            .RequireAuthorization().WithTags("Directory").WithName("ReplaceUser").Returns<UserProfile>().Fails(403, 409);
    }

    private static async Task<IResult> HandleAsync(long id, UpdateUserBody body, ISender sender, CancellationToken ct) =>
        (await sender.Send(new UpdateUserCommand(id, body.FirstName, body.LastName, body.Email, body.IsActive,
            body.PhoneNumber, body.SecondaryEmail, body.Language, body.TfaEnabled), ct)).ToOk();
}

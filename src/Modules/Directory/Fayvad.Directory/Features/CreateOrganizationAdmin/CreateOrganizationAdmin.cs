using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
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

namespace Fayvad.Directory.Features.CreateOrganizationAdmin;

/// <summary>Either <c>user_id</c> (promote an existing user of the organization) or the fields of a new user.</summary>
internal sealed record CreateOrganizationAdminCommand(
    long? OrganizationId,
    long? UserId,
    string? Username,
    string? Email,
    string? Password,
    string? FirstName,
    string? LastName) : ICommand<Result<UserProfile>>;

internal sealed class CreateOrganizationAdminValidator : AbstractValidator<CreateOrganizationAdminCommand>
{
    public CreateOrganizationAdminValidator()
    {
        When(c => c.UserId is null, () =>
        {
            RuleFor(c => c.Email).Cascade(CascadeMode.Stop).NotEmpty().WithMessage("email is required (or give user_id to promote an existing user).")
                .MailboxName("email")
                .Must(Addresses.IsAddress!).When(c => !string.IsNullOrEmpty(c.Email), ApplyConditionTo.CurrentValidator).WithMessage("email must be a valid email address.");
            RuleFor(c => c.Username).Cascade(CascadeMode.Stop).MailboxName("username").Must(Addresses.IsAddress!).When(c => c.Username is not null)
                .WithMessage("username must be an email address.");
            RuleFor(c => c.Password).NotEmpty().WithMessage("password is required for a new administrator.")
                .Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p)!);
            RuleFor(c => c.FirstName).MaximumLength(150).SingleLine();
            RuleFor(c => c.LastName).MaximumLength(150).SingleLine();
        });
        RuleFor(c => c.UserId).GreaterThan(0).When(c => c.UserId is not null);
        RuleFor(c => c.OrganizationId).GreaterThan(0).When(c => c.OrganizationId is not null);
    }
}

internal sealed class CreateOrganizationAdminHandler(DirectoryDbContext db, ICurrentUser caller, PasswordHasher hasher, TimeProvider clock)
    : ICommandHandler<CreateOrganizationAdminCommand, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(
        CreateOrganizationAdminCommand command, CancellationToken cancellationToken)
    {
        var scope = caller.ResolveOrganization(command.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        if (scope.Value is not { } organizationId)
        {
            return Error.Validation("organization_id", "organization_id is required.");
        }

        if (!await db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken))
        {
            return Error.NotFound("Organization not found.");
        }

        User user;
        if (command.UserId is { } userId)
        {
            var existing = await db.Users.SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
            if (existing is null || (existing.OrganizationId != organizationId && !caller.IsSuperadmin()))
            {
                return Error.NotFound("User not found.");
            }

            if (existing.OrganizationId != organizationId)
            {
                return Error.Validation("user_id", "The user belongs to another organization.");
            }

            if (existing.Role == UserRole.Superadmin)
            {
                return Error.Validation("user_id", "A superadmin cannot be made an organization administrator.");
            }

            existing.Role = UserRole.OrgAdmin;
            user = existing;
        }
        else
        {
            var email = Addresses.Normalize(command.Email!);
            var username = command.Username is null ? email : Addresses.Normalize(command.Username);
            // A login address outside the organization's domains would squat an address another organization owns.
            var (_, domain) = Addresses.Split(username);
            if (!await db.Domains.AnyAsync(d => d.Name == domain && d.OrganizationId == organizationId, cancellationToken))
            {
                var field = command.Username is null ? "email" : "username";
                return Error.Validation(field,
                    $"{field} must be an address at one of the organization's domains (it is the login); '{domain}' is not one of them.");
            }

            if (await db.Users.AnyAsync(u => u.Username == username, cancellationToken))
            {
                return Error.Conflict($"A user '{username}' already exists; promote it with user_id.");
            }

            user = new User
            {
                Username = username,
                Email = email,
                FirstName = command.FirstName?.Trim() ?? "",
                LastName = command.LastName?.Trim() ?? "",
                Role = UserRole.OrgAdmin,
                OrganizationId = organizationId,
                PasswordHash = hasher.Hash(command.Password!),
                CreatedAt = clock.GetUtcNow(),
            };
            db.Users.Add(user);
        }

        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"A user '{user.Username}' already exists.");
        }

        var profile = await db.Users.AsNoTracking().Where(u => u.Id == user.Id).SelectProfile(db).SingleAsync(cancellationToken);
        return profile;
    }
}

public sealed class CreateOrganizationAdminEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/organization-admins", async (CreateOrganizationAdminCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(user => Results.Created($"{ApiRoutes.Root}/users/{user.Id}/", user)))
            .RequireAdmin().WithTags("Directory").WithName("CreateOrganizationAdmin").Returns<UserProfile>(StatusCodes.Status201Created).Fails(403, 404, 409);
    }
}

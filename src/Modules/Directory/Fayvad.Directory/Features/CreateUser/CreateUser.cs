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

namespace Fayvad.Directory.Features.CreateUser;

/// <summary>
/// Creates a user that logs in with <c>username</c> (a bare name such as a service account's, or an address) and has
/// no mailbox; mailboxes are created with org/email-accounts/. A superadmin may create any role; an org admin creates
/// users and org admins of their own organization. A superadmin who names no organization (the client's create_user
/// sends none) creates the user in the organization whose domain <c>email</c> is at; no such domain is a 400.
/// </summary>
internal sealed record CreateUserCommand(
    string? Username,
    string? Email,
    string? Password,
    string? FirstName,
    string? LastName,
    bool? IsActive,
    string? Role,
    long? OrganizationId,
    string? PhoneNumber,
    string? SecondaryEmail,
    string? Language) : ICommand<Result<UserProfile>>;

internal sealed class CreateUserValidator : AbstractValidator<CreateUserCommand>
{
    public static readonly string[] Roles = ["superadmin", "org_admin", "user"];

    public CreateUserValidator()
    {
        RuleFor(c => c.Username).Cascade(CascadeMode.Stop).NotEmpty().WithMessage("username is required: the login name (a bare name or an email address).")
            .MailboxName("username")
            .Must(u => Addresses.IsBareUsername(u!.Trim()) || Addresses.IsAddress(u.Trim()))
            .When(c => !string.IsNullOrEmpty(c.Username), ApplyConditionTo.CurrentValidator)
            .WithMessage("username must be a bare name of letters, digits and . _ + - (at most 150), or a valid email address.");
        RuleFor(c => c.Email).Must(e => Addresses.IsAddress(e!.Trim())).When(c => !string.IsNullOrEmpty(c.Email))
            .WithMessage("email must be a valid email address.");
        RuleFor(c => c.Password).NotEmpty().Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p)!);
        RuleFor(c => c.FirstName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.LastName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.Role).Must(r => Roles.Contains(r)).When(c => c.Role is not null)
            .WithMessage("role must be one of superadmin, org_admin, user.");
        RuleFor(c => c.OrganizationId).GreaterThan(0).When(c => c.OrganizationId is not null);
        RuleFor(c => c.PhoneNumber).Matches(ProfileRules.PhoneNumberPattern).When(c => !string.IsNullOrEmpty(c.PhoneNumber))
            .WithMessage("phone_number must be digits with optional + ( ) . / - and spaces, at most 32 characters.");
        RuleFor(c => c.SecondaryEmail).Must(e => Addresses.IsAddress(e!.Trim())).When(c => !string.IsNullOrEmpty(c.SecondaryEmail))
            .WithMessage("secondary_email must be a valid email address.");
        RuleFor(c => c.Language).Matches(ProfileRules.LanguagePattern).When(c => !string.IsNullOrEmpty(c.Language))
            .WithMessage("language must be a language code such as en, sw or pt-br.");
    }
}

internal sealed class CreateUserHandler(DirectoryDbContext db, ICurrentUser caller, PasswordHasher hasher, TimeProvider clock)
    : ICommandHandler<CreateUserCommand, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(CreateUserCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin())
        {
            return Error.Forbidden("Only an administrator can create users.");
        }

        var role = RoleNames.FromWire(command.Role ?? "user");
        if (role == UserRole.Superadmin && !caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can create superadmins.");
        }

        var scope = caller.ResolveOrganization(command.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var organizationId = scope.Value;
        if (role == UserRole.Superadmin && organizationId is not null)
        {
            return Error.Validation("organization_id", "organization_id must be left out for a superadmin, who belongs to no organization.");
        }

        if (role != UserRole.Superadmin && organizationId is null)
        {
            // The client's create_user names no organization: the one whose domain the address is at, if the caller manages it.
            organizationId = await OrganizationOfAddressAsync(command, cancellationToken);
            if (organizationId is null)
            {
                return Error.Validation("organization_id",
                    "organization_id is required for a user or org_admin, unless email is an address at a domain of an organization you manage.");
            }
        }

        if (organizationId is { } orgId && !await db.Organizations.AnyAsync(o => o.Id == orgId, cancellationToken))
        {
            return Error.NotFound("Organization not found.");
        }

        var username = Addresses.Normalize(command.Username!);
        if (username.Contains('@', StringComparison.Ordinal))
        {
            // An address on a hosted domain is that organization's to give out (it may become a mailbox).
            var domainName = Addresses.Split(username).Domain;
            var owner = await db.Domains.Where(d => d.Name == domainName).Select(d => (long?)d.OrganizationId).SingleOrDefaultAsync(cancellationToken);
            if (owner is not null && owner != organizationId)
            {
                return Error.Validation("username", $"username {username} is on {domainName}, a domain of another organization.");
            }

            // A login address outside the organization's domains could squat an address another organization adds later.
            if (owner is null && organizationId is not null)
            {
                return Error.Validation("username", $"username must be a bare name or an address at one of the organization's domains; {domainName} is not one of them.");
            }
        }

        if (await db.Users.AnyAsync(u => u.Username == username, cancellationToken)
            || await db.EmailAccounts.AnyAsync(a => a.Address == username, cancellationToken))
        {
            return Error.Conflict($"A user '{username}' already exists.");
        }

        var user = new User
        {
            Username = username,
            Email = string.IsNullOrWhiteSpace(command.Email) ? (username.Contains('@', StringComparison.Ordinal) ? username : "") : Addresses.Normalize(command.Email),
            FirstName = command.FirstName?.Trim() ?? "",
            LastName = command.LastName?.Trim() ?? "",
            Role = role,
            OrganizationId = organizationId,
            PasswordHash = hasher.Hash(command.Password!),
            IsActive = command.IsActive ?? true,
            PhoneNumber = command.PhoneNumber?.Trim() ?? "",
            SecondaryEmail = string.IsNullOrWhiteSpace(command.SecondaryEmail) ? "" : Addresses.Normalize(command.SecondaryEmail),
            Language = string.IsNullOrWhiteSpace(command.Language) ? ProfileRules.DefaultLanguage : command.Language.Trim().ToLowerInvariant().Replace('_', '-'),
            CreatedAt = clock.GetUtcNow(),
        };
        db.Users.Add(user);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"A user '{username}' already exists.");
        }

        return await db.Users.AsNoTracking().Where(u => u.Id == user.Id).SelectProfile(db).SingleAsync(cancellationToken);
    }

    /// <summary>
    /// The organization of the domain of <c>email</c> (else of an address <c>username</c>) when the caller may manage it;
    /// none otherwise, so a domain of an organization the caller may not manage answers as one nobody hosts.
    /// </summary>
    private async Task<long?> OrganizationOfAddressAsync(CreateUserCommand command, CancellationToken cancellationToken)
    {
        var address = new[] { command.Email, command.Username }.Select(a => a?.Trim() ?? "").FirstOrDefault(a => a.Contains('@', StringComparison.Ordinal));
        if (address is null)
        {
            return null;
        }

        var domainName = Addresses.Split(Addresses.Normalize(address)).Domain;
        var owner = await db.Domains.Where(d => d.Name == domainName).Select(d => (long?)d.OrganizationId).SingleOrDefaultAsync(cancellationToken);
        return owner is { } organizationId && caller.CanManage(organizationId) ? organizationId : null;
    }
}

public sealed class CreateUserEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/users", async (CreateUserCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToHttp(u => Results.Created($"{ApiRoutes.Root}/users/{u.Id}/", u)))
            .RequireAdmin().WithTags("Directory").WithName("CreateUser")
            .WithDescription("Creates a user without mailbox. An org admin's users join the admin's organization. A superadmin "
                + "names organization_id, or names none (the client's create_user) and the user joins the organization whose domain "
                + "email (else an address username) is at; a domain no organization has is a 400 asking for organization_id. An "
                + "address username follows the mailbox name rule (letters, digits and . _ - before the @).")
            .Returns<UserProfile>(StatusCodes.Status201Created).Fails(403, 404, 409);
    }
}

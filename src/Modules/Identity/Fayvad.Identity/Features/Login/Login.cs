using Carter;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Passwords;
using Fayvad.Identity.Tokens;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.Login;

internal sealed record LoginBody(string? Username, string? Password);

internal sealed record LoginCommand(string? Username, string? Password, string ClientAddress) : ICommand<Result<LoginResponse>>;

/// <summary><c>email_authenticated</c>: the user has a mailbox, enabled (a user with a disabled one cannot log in at all).</summary>
internal sealed record LoginResponse(string Token, long UserId, string Username, string Role, DateTimeOffset ExpiresAt, bool EmailAuthenticated);

internal sealed class LoginValidator : AbstractValidator<LoginCommand>
{
    public LoginValidator()
    {
        RuleFor(c => c.Username).NotEmpty().WithMessage("username is required.").MaximumLength(254);
        RuleFor(c => c.Password).NotEmpty().WithMessage("password is required.").MaximumLength(1024);
    }
}

/// <summary>
/// The username is the exact login name: a mailbox user's address, or an admin's bare name (the client's service
/// account); both go through the same throttle.
/// </summary>
internal sealed class LoginHandler(IDirectoryAuthentication directory, TokenService tokens, PasswordThrottle throttle)
    : ICommandHandler<LoginCommand, Result<LoginResponse>>
{
    public async ValueTask<Result<LoginResponse>> Handle(LoginCommand command, CancellationToken cancellationToken)
    {
        var username = command.Username!.Trim().ToLowerInvariant();
        await using var attempt = await throttle.BeginAsync(username, command.ClientAddress, cancellationToken);
        if (attempt.RetryAfter is { } wait)
        {
            return Error.TooManyRequests("Too many failed login attempts. Try again later.", wait);
        }

        var principal = await directory.VerifyCredentialsAsync(username, command.Password!, cancellationToken);
        if (principal is null)
        {
            return Error.Unauthorized("Invalid credentials");
        }

        await throttle.SucceededAsync(attempt, cancellationToken);
        var (token, record) = await tokens.IssueAsync(principal.UserId, command.ClientAddress, cancellationToken);
        return new LoginResponse(token, principal.UserId, principal.Username, RoleNames.Of(principal.Role), record.ExpiresAt,
            principal.MailboxAddress is not null);
    }
}

internal static class RoleNames
{
    public static string Of(UserRole role) => role switch
    {
        UserRole.Superadmin => "superadmin",
        UserRole.OrgAdmin => "org_admin",
        _ => "user",
    };
}

public sealed class LoginEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/auth/login", async Task<IResult> (LoginBody body, HttpContext http, ISender sender, CancellationToken ct) =>
        {
            return (await sender.Send(new LoginCommand(body.Username, body.Password, PasswordThrottle.ClientAddressOf(http)), ct)).ToOk();
        })
            // Login has its own throttle on failures (PasswordThrottle, shared by every node through PostgreSQL).
            .AllowAnonymous().DisableRateLimiting().WithTags("Identity").WithName("Login").Returns<LoginResponse>().Fails(401, 403, 429);
    }
}

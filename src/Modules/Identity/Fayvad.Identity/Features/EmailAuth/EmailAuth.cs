using Carter;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Identity.Passwords;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.EmailAuth;

internal sealed record EmailAuthBody(string? Email, string? Password);

/// <summary>
/// The client server's mailbox check: is this the caller's own active mailbox, and is this its password? A credential
/// check, so it lives here (at the client's mail-looking path) and shares the login throttle.
/// </summary>
internal sealed record EmailAuthCommand(string? Email, string? Password, string ClientAddress) : ICommand<Result<EmailAuthResponse>>;

internal sealed record EmailAuthResponse(bool Authenticated, long UserId, string Email);

internal sealed class EmailAuthValidator : AbstractValidator<EmailAuthCommand>
{
    public EmailAuthValidator()
    {
        RuleFor(c => c.Email).NotEmpty().WithMessage("email is required.").MaximumLength(254);
        RuleFor(c => c.Password).NotEmpty().WithMessage("password is required.").MaximumLength(1024);
    }
}

internal sealed class EmailAuthHandler(ICurrentUser caller, IDirectoryAuthentication directory, PasswordThrottle throttle)
    : ICommandHandler<EmailAuthCommand, Result<EmailAuthResponse>>
{
    public async ValueTask<Result<EmailAuthResponse>> Handle(EmailAuthCommand command, CancellationToken cancellationToken)
    {
        var email = command.Email!.Trim().ToLowerInvariant();
        if (caller.MailboxAddress != email)
        {
            // The token's own mailbox is the only one this checks; nothing about other accounts is revealed.
            return Error.NotFound("You have no active email account with this address.");
        }

        // Counted against the caller's account, the same count login and change-password use.
        await using var attempt = await throttle.BeginAsync(caller.Username, command.ClientAddress, cancellationToken);
        if (attempt.RetryAfter is { } wait)
        {
            return Error.TooManyRequests("Too many failed attempts. Try again later.", wait);
        }

        // A mailbox user's login name is its address, so the login check is the mailbox check.
        var principal = await directory.VerifyCredentialsAsync(email, command.Password!, cancellationToken);
        if (principal is null || principal.UserId != caller.UserId)
        {
            return Error.Unauthorized("Invalid credentials");
        }

        await throttle.SucceededAsync(attempt, cancellationToken);
        return new EmailAuthResponse(true, caller.UserId, email);
    }
}

public sealed class EmailAuthEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/email/auth", async (EmailAuthBody body, HttpContext http, ISender sender, CancellationToken ct) =>
        {
            return (await sender.Send(new EmailAuthCommand(body.Email, body.Password, PasswordThrottle.ClientAddressOf(http)), ct)).ToOk();
        }).RequireAuthorization().WithTags("Identity").WithName("EmailAuth").Returns<EmailAuthResponse>().Fails(401, 404, 429);
    }
}

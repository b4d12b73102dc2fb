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
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.ChangePassword;

internal sealed record ChangePasswordBody(string? CurrentPassword, string? NewPassword);

internal sealed record ChangePasswordCommand(string? CurrentPassword, string? NewPassword, string ClientAddress) : ICommand<Result<bool>>;

internal sealed class ChangePasswordValidator : AbstractValidator<ChangePasswordCommand>
{
    public ChangePasswordValidator()
    {
        RuleFor(c => c.CurrentPassword).NotEmpty().WithMessage("current_password is required.");
        RuleFor(c => c.NewPassword).NotEmpty().WithMessage("new_password is required.")
            .Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p, "new_password")!)
            .NotEqual(c => c.CurrentPassword).WithMessage("new_password must differ from current_password.");
    }
}

/// <summary>
/// Changes the caller's own password (also their mailbox password) and signs out their other sessions. Wrong current
/// passwords count like failed logins, so a stolen token cannot be used to guess the password.
/// </summary>
internal sealed class ChangePasswordHandler(CurrentUser caller, IDirectoryAuthentication directory, TokenService tokens, PasswordThrottle throttle)
    : ICommandHandler<ChangePasswordCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(ChangePasswordCommand command, CancellationToken cancellationToken)
    {
        await using var attempt = await throttle.BeginAsync(caller.Username, command.ClientAddress, cancellationToken);
        if (attempt.RetryAfter is { } wait)
        {
            return Error.TooManyRequests("Too many wrong passwords. Try again later.", wait);
        }

        if (await directory.VerifyCredentialsAsync(caller.Username, command.CurrentPassword!, cancellationToken) is null)
        {
            return Error.Validation("current_password", "current_password is not correct.");
        }

        await throttle.SucceededAsync(attempt, cancellationToken);

        await directory.ChangePasswordAsync(caller.UserId, command.NewPassword!, cancellationToken);
        await tokens.RevokeAllExceptAsync(caller.UserId, caller.TokenId, cancellationToken);
        return true;
    }
}

public sealed class ChangePasswordEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/auth/change-password", async (ChangePasswordBody body, HttpContext http, ISender sender, CancellationToken ct) =>
            (await sender.Send(new ChangePasswordCommand(body.CurrentPassword, body.NewPassword, PasswordThrottle.ClientAddressOf(http)), ct))
                .ToHttp(_ => Results.NoContent()))
            .RequireAuthorization().WithTags("Identity").WithName("ChangePassword").Produces(StatusCodes.Status204NoContent).Fails(429);
    }
}

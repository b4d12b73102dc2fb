using Carter;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Tokens;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.ChangePassword;

internal sealed record ChangePasswordCommand(string? CurrentPassword, string? NewPassword) : ICommand<Result<bool>>;

internal sealed class ChangePasswordValidator : AbstractValidator<ChangePasswordCommand>
{
    public ChangePasswordValidator()
    {
        RuleFor(c => c.CurrentPassword).NotEmpty().WithMessage("current_password is required.");
        RuleFor(c => c.NewPassword).NotEmpty().WithMessage("new_password is required.")
            .Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p)!)
            .NotEqual(c => c.CurrentPassword).WithMessage("new_password must differ from current_password.");
    }
}

/// <summary>Changes the caller's own password (also their mailbox password) and signs out their other sessions.</summary>
internal sealed class ChangePasswordHandler(CurrentUser caller, IDirectoryAuthentication directory, TokenService tokens)
    : ICommandHandler<ChangePasswordCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(ChangePasswordCommand command, CancellationToken cancellationToken)
    {
        if (await directory.VerifyCredentialsAsync(caller.Username, command.CurrentPassword!, cancellationToken) is null)
        {
            return Error.Validation("current_password", "current_password is not correct.");
        }

        await directory.ChangePasswordAsync(caller.UserId, command.NewPassword!, cancellationToken);
        await tokens.RevokeAllExceptAsync(caller.UserId, caller.TokenId, cancellationToken);
        return true;
    }
}

public sealed class ChangePasswordEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/auth/change-password", async (ChangePasswordCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(_ => Results.NoContent()))
            .RequireAuthorization().WithTags("Identity").WithName("ChangePassword");
    }
}

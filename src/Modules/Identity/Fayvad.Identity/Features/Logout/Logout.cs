using Carter;
using Fayvad.Identity.Tokens;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.Logout;

/// <summary>Revokes the token this request was made with.</summary>
internal sealed record LogoutCommand : ICommand<Result<bool>>;

internal sealed class LogoutHandler(CurrentUser caller, TokenService tokens) : ICommandHandler<LogoutCommand, Result<bool>>
{
    public async ValueTask<Result<bool>> Handle(LogoutCommand command, CancellationToken cancellationToken)
    {
        await tokens.RevokeAsync(caller.TokenId, cancellationToken);
        return true;
    }
}

public sealed class LogoutEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/auth/logout", async (ISender sender, CancellationToken ct) =>
            (await sender.Send(new LogoutCommand(), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAuthorization().WithTags("Identity").WithName("Logout").Produces(StatusCodes.Status204NoContent);
    }
}

using Carter;
using Fayvad.Identity.Tokens;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.Refresh;

/// <summary>Swaps the caller's token for a new one with a full lifetime; the old token is revoked (rotation).</summary>
internal sealed record RefreshCommand(string ClientAddress) : ICommand<Result<RefreshResponse>>;

internal sealed record RefreshResponse(string Token, DateTimeOffset ExpiresAt);

internal sealed class RefreshHandler(CurrentUser caller, TokenService tokens) : ICommandHandler<RefreshCommand, Result<RefreshResponse>>
{
    public async ValueTask<Result<RefreshResponse>> Handle(RefreshCommand command, CancellationToken cancellationToken)
    {
        // Revoke first: of two concurrent refreshes with one token, only the first gets a new one.
        if (await tokens.RevokeAsync(caller.TokenId, cancellationToken) == 0)
        {
            return Error.Unauthorized("Invalid or expired token.");
        }

        var (token, record) = await tokens.IssueAsync(caller.UserId, command.ClientAddress, cancellationToken);
        return new RefreshResponse(token, record.ExpiresAt);
    }
}

public sealed class RefreshEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/auth/refresh", async (HttpContext http, ISender sender, CancellationToken ct) =>
        {
            var client = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return (await sender.Send(new RefreshCommand(client), ct)).ToOk();
        }).RequireAuthorization().WithTags("Identity").WithName("RefreshToken").Returns<RefreshResponse>();
    }
}

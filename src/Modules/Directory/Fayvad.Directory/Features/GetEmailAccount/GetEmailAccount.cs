using Carter;
using Fayvad.Directory.Accounts;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.GetEmailAccount;

internal sealed record GetEmailAccountQuery(long Id) : IQuery<Result<EmailAccountDto>>;

/// <summary>One email account, for its organization's admins, a superadmin, or its own user.</summary>
internal sealed class GetEmailAccountHandler(DirectoryDbContext db, ICurrentUser caller)
    : IQueryHandler<GetEmailAccountQuery, Result<EmailAccountDto>>
{
    public async ValueTask<Result<EmailAccountDto>> Handle(GetEmailAccountQuery query, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.AsNoTracking().Where(a => a.Id == query.Id).SelectDto(db).SingleOrDefaultAsync(cancellationToken);
        var maySee = account is not null && (account.UserId == caller.UserId || (caller.IsAdmin() && caller.CanManage(account.OrganizationId)));

        // Outside the caller's scope an account is reported as absent, so ids cannot be probed.
        return maySee ? account! : Error.NotFound("Email account not found.");
    }
}

public sealed class GetEmailAccountEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/org/email-accounts/{id:long}", async (long id, ISender sender, CancellationToken ct) =>
            (await sender.Send(new GetEmailAccountQuery(id), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("GetEmailAccount").Returns<EmailAccountDto>();
    }
}

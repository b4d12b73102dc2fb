using Carter;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.MailboxForward;

/// <summary>
/// A mailbox's forward: where its mail goes (<c>recipients</c>) and whether the mailbox keeps a copy
/// (<c>keep_copy</c>). Empty <c>recipients</c>: no forward. Postfix reads it from the view mail_virtual (docs/adr/0034).
/// </summary>
internal sealed record ForwardDto(long EmailAccountId, string Address, IReadOnlyList<string> Recipients, bool KeepCopy, bool Active);

internal sealed record ForwardBody(IReadOnlyList<string?>? Recipients, bool? KeepCopy);

internal sealed record GetForwardQuery(long Id) : IQuery<Result<ForwardDto>>;

/// <summary><paramref name="Body"/> null: remove the forward.</summary>
internal sealed record SetForwardCommand(long Id, ForwardBody? Body) : ICommand<Result<ForwardDto>>;

internal static class Forwards
{
    /// <summary>The mailbox's admins and its own user may read and set its forward; anyone else is told it does not exist.</summary>
    public static async Task<Result<EmailAccount>> FindAsync(DirectoryDbContext db, ICurrentUser caller, long id, CancellationToken cancellationToken)
    {
        var account = await db.EmailAccounts.Include(a => a.Domain).SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        return account is null || !(account.UserId == caller.UserId || (caller.IsAdmin() && caller.CanManage(account.Domain.OrganizationId)))
            ? Error.NotFound("Email account not found.")
            : account;
    }

    public static ForwardDto ToDto(EmailAccount account) =>
        new(account.Id, account.Address, account.ForwardTo, account.ForwardKeepCopy, account.ForwardTo.Count > 0);
}

internal sealed class GetForwardHandler(DirectoryDbContext db, ICurrentUser caller) : IQueryHandler<GetForwardQuery, Result<ForwardDto>>
{
    public async ValueTask<Result<ForwardDto>> Handle(GetForwardQuery query, CancellationToken cancellationToken)
    {
        var account = await Forwards.FindAsync(db, caller, query.Id, cancellationToken);
        return account.IsSuccess ? Forwards.ToDto(account.Value) : account.Error;
    }
}

internal sealed class SetForwardHandler(DirectoryDbContext db, ICurrentUser caller) : ICommandHandler<SetForwardCommand, Result<ForwardDto>>
{
    public async ValueTask<Result<ForwardDto>> Handle(SetForwardCommand command, CancellationToken cancellationToken)
    {
        var found = await Forwards.FindAsync(db, caller, command.Id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var account = found.Value;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockOrganizationAsync(account.Domain.OrganizationId, cancellationToken);
        if (command.Body is null || command.Body.Recipients is { Count: 0 })
        {
            account.ForwardTo = [];
            account.ForwardKeepCopy = command.Body?.KeepCopy ?? true;
        }
        else
        {
            if (command.Body.Recipients is null)
            {
                return Error.Validation("recipients", "recipients is required: the addresses to forward to ([] for none).");
            }

            var recipients = AliasRules.NormalizeRecipients(command.Body.Recipients, "recipients");
            if (!recipients.IsSuccess)
            {
                return recipients.Error;
            }

            if (recipients.Value.Contains(account.Address))
            {
                return Error.Validation("recipients", $"recipients: {account.Address} is this mailbox; set keep_copy to keep its mail here too.");
            }

            if (await AliasRules.CheckTargetsAsync(db, account.Address, false, recipients.Value, "recipients", cancellationToken) is { } targets)
            {
                return targets;
            }

            account.ForwardTo = recipients.Value;
            account.ForwardKeepCopy = command.Body.KeepCopy ?? account.ForwardKeepCopy;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Forwards.ToDto(account);
    }
}

public sealed class MailboxForwardEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        const string path = ApiRoutes.Root + "/org/email-accounts/{id:long}/forward";
        app.MapGet(path, async (long id, ISender sender, CancellationToken ct) => (await sender.Send(new GetForwardQuery(id), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("GetMailboxForward").Returns<ForwardDto>();

        app.MapPut(path, async (long id, ForwardBody body, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetForwardCommand(id, body), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("SetMailboxForward")
            .WithDescription("Sets the mailbox's forward: recipients (mailboxes, aliases or outside addresses; [] removes the forward) "
                + "and keep_copy (default true: the mailbox keeps its mail too). Recipients that would bring mail back to the mailbox "
                + "are refused (400 naming the loop). The mailbox's admins and its own user may set it.")
            .Returns<ForwardDto>();

        app.MapDelete(path, async (long id, ISender sender, CancellationToken ct) =>
                (await sender.Send(new SetForwardCommand(id, null), ct)).ToOk())
            .RequireAuthorization().WithTags("Directory").WithName("DeleteMailboxForward").Returns<ForwardDto>();
    }
}

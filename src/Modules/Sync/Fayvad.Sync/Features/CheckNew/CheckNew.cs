using System.ComponentModel;
using System.Globalization;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Sync.Log;
using Fayvad.Sync.Watch;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Features.CheckNew;

/// <summary><paramref name="Since"/>: see <see cref="CheckNewSince"/>; null asks whether the folder has unread mail.</summary>
internal sealed record CheckNewQuery(string Folder, string? Since) : IQuery<Result<CheckNewResponse>>;

/// <summary>
/// The client's later server's shape (<c>has_new, unread_count, total_count, folder</c>), plus what to pass back as
/// <c>since</c> next time: <paramref name="LastEventId"/> (the event stream's numbering) or <paramref name="State"/>
/// (a folder state, also good for /email/changes/).
/// </summary>
internal sealed record CheckNewResponse(bool HasNew, int UnreadCount, int TotalCount, string Folder, long LastEventId, string State);

/// <summary>
/// What <c>since</c> may be (docs/adr/0009): an event id (a <c>last_event_id</c> of an earlier answer, or an SSE
/// <c>id:</c>), a folder <c>state</c> (from check-new, the folder list or the message list), or an ISO-8601 time.
/// </summary>
internal readonly record struct CheckNewSince(long? EventId, SyncState? State, DateTimeOffset? Time)
{
    public static bool TryParse(string text, out CheckNewSince since)
    {
        since = default;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var eventId))
        {
            since = new CheckNewSince(eventId, null, null);
            return true;
        }

        if (SyncState.TryDecode(text, out var state))
        {
            since = new CheckNewSince(null, state, null);
            return true;
        }

        // A time must say its zone (or be UTC, 'Z'): a bare local time would be a guess.
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            since = new CheckNewSince(null, null, time.ToUniversalTime());
            return true;
        }

        return false;
    }
}

internal sealed class CheckNewValidator : AbstractValidator<CheckNewQuery>
{
    public CheckNewValidator()
    {
        RuleFor(q => q.Folder).NotEmpty().MaximumLength(1000);
        RuleFor(q => q.Since).Must(s => s is null || CheckNewSince.TryParse(s, out _))
            .WithMessage("since must be a last_event_id or state from an earlier answer, or an ISO-8601 time.");
    }
}

/// <summary>
/// Answers from the push machinery's state in PostgreSQL (the folder states its watcher keeps, and the event log), never
/// by asking IMAP for counts: the call keeps the mailbox watched for <see cref="PushOptions.CheckNewKeepAlive"/>, so a
/// polling client keeps one watch (a lease, no connection), and only the first call for an unwatched mailbox waits for its first sync.
/// </summary>
internal sealed class CheckNewHandler(
    ICurrentUser caller, IMailboxWatches watchers, EventLog log, FolderStates folderStates, Leases leases, IMailboxChanges changes,
    IOptions<PushOptions> options)
    : IQueryHandler<CheckNewQuery, Result<CheckNewResponse>>
{
    private readonly PushOptions _push = options.Value;

    public async ValueTask<Result<CheckNewResponse>> Handle(CheckNewQuery query, CancellationToken cancellationToken)
    {
        var mailbox = caller.OwnMailbox();
        if (!mailbox.IsSuccess)
        {
            return mailbox.Error;
        }

        watchers.KeepWatched(mailbox.Value, caller.OrganizationId, _push.CheckNewKeepAlive);
        if (!await WaitUntilCurrentAsync(mailbox.Value, cancellationToken))
        {
            return Error.Unavailable("The mail server is not answering; try again shortly.");
        }

        var states = await folderStates.LoadAsync(mailbox.Value, cancellationToken);
        var path = await changes.ResolveFolderAsync(mailbox.Value, query.Folder, states.Keys, cancellationToken);
        if (path is null || !states.TryGetValue(path, out var state))
        {
            return Error.NotFound($"Folder '{query.Folder}' not found.");
        }

        var (lastSeq, oldestSeq) = await log.BoundsAsync(mailbox.Value, cancellationToken);
        var hasNew = state.Unseen > 0;
        if (query.Since is not null && CheckNewSince.TryParse(query.Since, out var since))
        {
            hasNew = await HasNewSinceAsync(mailbox.Value, path, state, since, lastSeq, oldestSeq, cancellationToken) ?? hasNew;
        }

        return new CheckNewResponse(hasNew, state.Unseen, state.Messages, path, lastSeq, state.SyncState.Encode());
    }

    /// <summary>Whether mail arrived in the folder since then; null when the log no longer reaches back that far.</summary>
    private async Task<bool?> HasNewSinceAsync(
        string mailbox, string folder, FolderMark state, CheckNewSince since, long lastSeq, long? oldestSeq, CancellationToken ct)
    {
        if (since.State is { } known)
        {
            // A recreated folder (new UIDVALIDITY) holds nothing the caller has seen.
            return known.UidValidity != state.UidValidity || state.UidNext > known.UidNext;
        }

        if (since.EventId is { } eventId)
        {
            var covered = eventId <= lastSeq && (eventId == lastSeq || (oldestSeq is { } oldest && oldest <= eventId + 1));
            return covered ? await log.HasNewMessageAsync(mailbox, folder, eventId, null, ct) : null;
        }

        var time = since.Time!.Value;
        return time >= DateTimeOffset.UtcNow - _push.Retention ? await log.HasNewMessageAsync(mailbox, folder, null, time, ct) : null;
    }

    /// <summary>
    /// True once the stored states are current: this node's watcher finished a pass, or another node holds a live lease
    /// on a mailbox it has synced. A mailbox nobody watched gets its first sync (its baseline) here.
    /// </summary>
    private async Task<bool> WaitUntilCurrentAsync(string mailbox, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _push.CheckNewBaselineWait;
        while (true)
        {
            if (watchers.IsSynced(mailbox)
                || (await leases.WatcherAsync(mailbox, ct) is { } node && node != watchers.NodeId))
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50, ct);
        }
    }
}

public sealed class CheckNewEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/check-new", async (
            [FromQuery(Name = "folder"), Description("Folder path or common name."), DefaultValue("INBOX")] string? folder,
            [FromQuery(Name = "since"), Description("The state token of an earlier answer.")] string? since,
            ISender sender, CancellationToken ct) =>
            (await sender.Send(new CheckNewQuery(folder.Trimmed() ?? "INBOX", since.Trimmed()), ct)).ToOk()).RequireAuthorization().WithTags("Mail").WithName("CheckNew").Returns<CheckNewResponse>().Fails(403, 404);
    }
}

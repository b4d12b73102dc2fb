using System.Collections.Concurrent;
using System.Globalization;
using Carter;
using FluentValidation;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Data;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Push;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Features.CheckNew;

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
/// polling client holds one watch connection, and only the first call for an unwatched mailbox waits for its first sync.
/// </summary>
internal sealed class CheckNewHandler(
    ICurrentUser caller, IMailboxWatches watchers, EventLog log, SpecialFolderPaths specialFolders, IOptions<MailOptions> options)
    : IQueryHandler<CheckNewQuery, Result<CheckNewResponse>>
{
    private readonly PushOptions _push = options.Value.Push;

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

        var states = await log.LoadStatesAsync(mailbox.Value, cancellationToken);
        var path = FolderNames.Resolve(query.Folder, states.Keys.Select(k => new FolderEntry(k, null)))
            ?? await specialFolders.ResolveAsync(mailbox.Value, query.Folder, states.Keys, cancellationToken);
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

        var syncState = new SyncState((uint)state.UidValidity, (ulong)state.HighestModSeq, (uint)state.UidNext);
        return new CheckNewResponse(hasNew, state.Unseen, state.Messages, path, lastSeq, syncState.Encode());
    }

    /// <summary>Whether mail arrived in the folder since then; null when the log no longer reaches back that far.</summary>
    private async Task<bool?> HasNewSinceAsync(
        string mailbox, string folder, FolderState state, CheckNewSince since, long lastSeq, long? oldestSeq, CancellationToken ct)
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
                || (await log.WatcherAsync(mailbox, ct) is { } node && node != watchers.NodeId))
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

/// <summary>
/// Where the special folders of a mailbox are, for a common name ("Spam") that is not a path: resolved by the one
/// naming rule over IMAP (LIST with SPECIAL-USE roles), then remembered for a few minutes, so a polling client does not
/// cost an IMAP round trip per call.
/// </summary>
internal sealed class SpecialFolderPaths(IImapSessions sessions)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<(string Mailbox, string Name), (string? Path, DateTime Until)> _paths = new();

    public async Task<string?> ResolveAsync(string mailbox, string name, IReadOnlyCollection<string> existing, CancellationToken ct)
    {
        if (FolderNames.RoleOfName(name) is null)
        {
            return null;
        }

        var key = (mailbox.ToLowerInvariant(), name.ToLowerInvariant());
        // A remembered path that no longer exists (renamed folder) is resolved again.
        if (_paths.TryGetValue(key, out var known) && known.Until > DateTime.UtcNow && (known.Path is null || existing.Contains(known.Path)))
        {
            return known.Path;
        }

        var resolved = await sessions.RunAsync(mailbox, async (client, c) => (await Folders.FindAsync(client, name, c))?.FullName, ct);
        if (_paths.Count > 10_000)
        {
            _paths.Clear();
        }

        _paths[key] = (resolved, DateTime.UtcNow + Lifetime);
        return resolved;
    }
}

public sealed class CheckNewEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/check-new", async (HttpRequest request, ISender sender, CancellationToken ct) =>
        {
            var query = new CheckNewQuery(request.Query.StringValue("folder") ?? Folders.Inbox, request.Query.StringValue("since"));
            return (await sender.Send(query, ct)).ToOk();
        }).RequireAuthorization().WithTags("Mail").WithName("CheckNew").Returns<CheckNewResponse>().Fails(403, 404).Query("folder", QueryType.Text, "Folder path or common name.", "INBOX").Query("since", QueryType.Text, "The state token of an earlier answer.");
    }
}

using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Sync.Log;
using Fayvad.Sync.Streams;
using Fayvad.Sync.Watch;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Features.StreamEvents;

/// <summary><paramref name="Since"/>: the last event id the client has (Last-Event-ID or ?since=); null for live only.</summary>
internal sealed record StreamEventsQuery(string Mailbox, long? OrganizationId, long TokenId, long? Since) : IStreamQuery<SseFrame>;

/// <summary>One piece of the stream: an event (id, type, JSON data) or a comment.</summary>
internal sealed record SseFrame(long? Id, string? Type, string? Data, string? Comment = null)
{
    public static SseFrame Heartbeat { get; } = new(null, null, null, "heartbeat");

    public string Format()
    {
        if (Comment is not null)
        {
            return $": {Comment}\n\n";
        }

        var text = new StringBuilder();
        if (Id is { } id)
        {
            text.Append("id: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("event: ").Append(Type).Append('\n');
        // JSON has no raw newlines, so one data line carries it.
        text.Append("data: ").Append(Data).Append("\n\n");
        return text.ToString();
    }
}

/// <summary>
/// An open stream waits on one <see cref="StreamWake"/>: the log is read when the mailbox's log grew, and a heartbeat
/// (with the session check) is sent when the shared <see cref="HeartbeatWheel"/> reaches the stream's slot. While idle
/// it holds no timer, task, token source or database connection of its own.
/// </summary>
internal sealed class StreamEventsHandler(
    EventLog log, EventSignals signals, IMailboxWatches watchers, HeartbeatWheel heartbeats, ISessionCheck sessions, SyncMetrics metrics)
    : IStreamQueryHandler<StreamEventsQuery, SseFrame>
{
    private const int Batch = 200;

    public async IAsyncEnumerable<SseFrame> Handle(StreamEventsQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var wake = new StreamWake();
        // Subscribe before reading the log: a commit landing in between still wakes us.
        using var subscription = signals.Subscribe(query.Mailbox, wake);
        using var watch = watchers.Acquire(query.Mailbox, query.OrganizationId);
        using var open = new OpenStream(metrics);
        var (_, syncedAt) = await log.EnsureStreamAsync(query.Mailbox, query.OrganizationId, cancellationToken);
        // A mailbox watched for the first time is baselined before "connected": mail arriving after that is an event.
        for (var waited = 0; syncedAt is null && waited < 100; waited++)
        {
            await Task.Delay(100, cancellationToken);
            (_, syncedAt) = await log.PositionAsync(query.Mailbox, cancellationToken);
        }

        var (last, oldest) = await log.BoundsAsync(query.Mailbox, cancellationToken);
        var cursor = query.Since ?? last;
        if (query.Since is { } since && (since > last || since < 0 || (since < last && (oldest is null || oldest > since + 1))))
        {
            cursor = last;
            yield return new SseFrame(last, MailEventTypes.Reset,
                JsonSerializer.Serialize(new { reason = "That event id is no longer (or not yet) in the log; reload." }));
        }

        yield return new SseFrame(null, null, null, "connected");
        heartbeats.Add(wake);
        try
        {
            // The log is read once now (what came after Since or the subscription), then only when it grew.
            var grew = true;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (grew)
                {
                    IReadOnlyList<StoredEvent> events;
                    do
                    {
                        events = await log.ReadAfterAsync(query.Mailbox, cursor, Batch, cancellationToken);
                        foreach (var e in events)
                        {
                            cursor = e.Seq;
                            yield return new SseFrame(e.Seq, e.Type, e.Data);
                        }
                    }
                    while (events.Count == Batch);
                }

                (grew, var beat) = await wake.WaitAsync(cancellationToken);
                if (beat)
                {
                    if (!await sessions.IsStillValidAsync(query.TokenId, cancellationToken))
                    {
                        yield return new SseFrame(null, "end", JsonSerializer.Serialize(new { reason = "The token was revoked or the account disabled." }));
                        yield break;
                    }

                    yield return SseFrame.Heartbeat;
                }
            }
        }
        finally
        {
            heartbeats.Remove(wake);
        }
    }

    /// <summary>Counts the stream as open until the enumeration ends (client gone, token revoked, shutdown).</summary>
    private sealed class OpenStream : IDisposable
    {
        private readonly SyncMetrics _metrics;

        public OpenStream(SyncMetrics metrics)
        {
            _metrics = metrics;
            metrics.PushOpenStreams.Add(1);
        }

        public void Dispose() => _metrics.PushOpenStreams.Add(-1);
    }
}

public sealed class StreamEventsEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/email/events", async Task (
            [FromHeader(Name = "Last-Event-ID"), Description("The id of the last event received; the stream resumes after it.")] string? lastEventId,
            [FromQuery(Name = "since"), Description("The last event id seen (the Last-Event-ID header wins)."),
             Minimum(0)] WholeNumber? sinceQuery,
            HttpContext http, ICurrentUser caller, ISender sender) =>
        {
            if (caller.MailboxAddress is not { } mailbox)
            {
                await Results.Json(new ErrorBody("This user has no mailbox."), statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(http);
                return;
            }

            // The header wins; a malformed one, or a negative since, is no event id (-1).
            var since = lastEventId is { Length: > 0 }
                ? long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1
                : sinceQuery.AsLong();
            if (since < 0)
            {
                await Results.Json(new ErrorBody("Last-Event-ID / since must be an event id from this stream."), statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(http);
                return;
            }

            var response = http.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache, no-transform";
            // nginx would otherwise buffer the stream.
            response.Headers["X-Accel-Buffering"] = "no";
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.WriteAsync("retry: 2000\n\n", http.RequestAborted);
            await response.Body.FlushAsync(http.RequestAborted);
            // The handler is resolved now; it and its stream use singletons only, so the request's scope may go.
            var frames = sender.CreateStream(new StreamEventsQuery(mailbox, caller.OrganizationId, caller.TokenId, since), http.RequestAborted);
            // Accepted: the stream runs on outside the middleware, which finish now (docs/adr/0028).
            if (!http.Detach(() => WriteFramesAsync(http, frames)))
            {
                await WriteFramesAsync(http, frames);
            }
        }).RequireAuthorization().Detachable().WithTags("Mail").WithName("StreamEvents").StreamsEvents("Every change in the caller's mailbox, all folders, as server-sent events (`id:` is the event id; reconnect with Last-Event-ID to resume). Comment lines `: connected` and `: heartbeat` keep the connection alive.", MailEventDocs.Described).Fails(403);
    }

    private static async Task WriteFramesAsync(HttpContext http, IAsyncEnumerable<SseFrame> frames)
    {
        var response = http.Response;
        try
        {
            await foreach (var frame in frames)
            {
                await response.WriteAsync(frame.Format(), http.RequestAborted);
                await response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the normal end of a stream.
        }
        catch (Npgsql.NpgsqlException)
        {
            // Headers are sent, so no 503 now: say why in-stream; the client reconnects with its Last-Event-ID.
            await response.WriteAsync(new SseFrame(null, "error", JsonSerializer.Serialize(new { error = "The event store is unavailable; reconnect shortly." })).Format(), CancellationToken.None);
        }
    }
}

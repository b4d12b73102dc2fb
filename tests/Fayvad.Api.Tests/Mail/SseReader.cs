using System.Net;
using System.Text.Json;
using System.Threading.Channels;

namespace Fayvad.Api.Tests.Mail;

public sealed record SseEvent(long? Id, string Type, JsonElement Data)
{
    /// <summary>The data as its typed record (<see cref="Wire"/>): a missing, extra-typed or null field fails here.</summary>
    public T As<T>() => Data.Deserialize<T>(Wire.Options) ?? throw new InvalidOperationException($"{Type}: the data is null");
}

/// <summary>Reads an event stream in the background; tests wait for the events they expect.</summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;

    private SseReader(HttpResponseMessage response)
    {
        _response = response;
        _reading = Task.Run(ReadAsync);
    }

    public List<SseEvent> Seen { get; } = [];

    /// <summary>Ended by the server (not by the test).</summary>
    public bool Ended { get; private set; }

    public static async Task<SseReader> OpenAsync(HttpClient client, CancellationToken ct, long? lastEventId = null, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fayvad_api/email/events/{query}") { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new SseReader(response);
        await reader._connected.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        return reader;
    }

    /// <summary>The next event matching, skipping others (which stay in <see cref="Seen"/>).</summary>
    public async Task<SseEvent> NextAsync(Func<SseEvent, bool> match, CancellationToken ct, int seconds = 10)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(timeout.Token);
                if (match(e))
                {
                    return e;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No matching event in {seconds} s; seen: {string.Join(", ", Seen.Select(s => $"{s.Id}:{s.Type}"))}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The stream ended; seen: {string.Join(", ", Seen.Select(s => $"{s.Id}:{s.Type}"))}");
        }
    }

    /// <summary>How many events have arrived so far: a mark for <see cref="SinceAsync"/>.</summary>
    public int Mark
    {
        get
        {
            lock (Seen)
            {
                return Seen.Count;
            }
        }
    }

    /// <summary>The first event matching among those arrived after <paramref name="mark"/>, in whatever order the server
    /// sent them relative to events the test has already waited for; else the next one matching.</summary>
    public Task<SseEvent> SinceAsync(int mark, Func<SseEvent, bool> match, CancellationToken ct, int seconds = 10)
    {
        lock (Seen)
        {
            if (Seen.Skip(mark).FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }
        }

        return NextAsync(match, ct, seconds);
    }

    public Task<SseEvent> NextAsync(string type, CancellationToken ct, int seconds = 10) => NextAsync(e => e.Type == type, ct, seconds);

    /// <summary>Waits until the server closes the stream.</summary>
    public Task EndAsync(int seconds) => _reading.WaitAsync(TimeSpan.FromSeconds(seconds));

    private async Task ReadAsync()
    {
        try
        {
            using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var lines = new StreamReader(stream);
            long? id = null;
            string? type = null, data = null;
            while (await lines.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        var e = new SseEvent(id, type ?? "message", JsonDocument.Parse(data).RootElement.Clone());
                        lock (Seen)
                        {
                            Seen.Add(e);
                        }

                        await _events.Writer.WriteAsync(e);
                    }

                    (id, type, data) = (null, null, null);
                }
                else if (line.StartsWith(": connected", StringComparison.Ordinal))
                {
                    _connected.TrySetResult();
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }

            Ended = true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _connected.TrySetResult();
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}

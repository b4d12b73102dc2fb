using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Fayvad.PushBench;

/// <summary>One event as it came off the wire; <see cref="At"/> is the <see cref="Stopwatch"/> timestamp of its data line.</summary>
internal sealed record SseEvent(long? Id, string Type, JsonElement Data, long At);

/// <summary>
/// GET /fayvad_api/email/events/ read in the background (the parsing of tests/Fayvad.Api.Tests/Mail/SseReader.cs).
/// Events are timestamped the moment their data line is read and handed to <see cref="OnEvent"/> on the reading task.
/// </summary>
internal sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private int _heartbeats;
    private int _events;

    private SseStream(HttpResponseMessage response, Action<SseEvent>? onEvent)
    {
        _response = response;
        OnEvent = onEvent;
        _reading = Task.Run(ReadAsync);
    }

    public Action<SseEvent>? OnEvent { get; }

    /// <summary>Stopwatch timestamp of ": connected".</summary>
    public long ConnectedAt { get; private set; }

    public int Heartbeats => Volatile.Read(ref _heartbeats);

    public int Events => Volatile.Read(ref _events);

    /// <summary>The server closed the stream, or reading failed (see <see cref="Error"/>).</summary>
    public bool Ended { get; private set; }

    public string? Error { get; private set; }

    public static async Task<SseStream> OpenAsync(HttpClient http, string token, TimeSpan connectTimeout, CancellationToken ct, Action<SseEvent>? onEvent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiClient.Root + "/email/events/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(connectTimeout);
        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                throw new BenchException($"GET events: {(int)response.StatusCode} {response.Content.Headers.ContentType} {text}");
            }

            var stream = new SseStream(response, onEvent);
            response = null;
            try
            {
                await stream._connected.Task.WaitAsync(timeout.Token);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }

            if (stream.ConnectedAt == 0)
            {
                await stream.DisposeAsync();
                throw new BenchException($"the event stream ended before ': connected' ({stream.Error ?? "closed by the server"})");
            }

            return stream;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchException($"no ': connected' within {connectTimeout.TotalSeconds:0} s");
        }
        finally
        {
            response?.Dispose();
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var lines = new StreamReader(stream);
            long? id = null;
            string? type = null, data = null;
            long at = 0;
            while (await lines.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        Interlocked.Increment(ref _events);
                        OnEvent?.Invoke(new SseEvent(id, type ?? "message", JsonDocument.Parse(data).RootElement.Clone(), at));
                    }

                    (id, type, data) = (null, null, null);
                }
                else if (line.StartsWith(": connected", StringComparison.Ordinal))
                {
                    ConnectedAt = Stopwatch.GetTimestamp();
                    _connected.TrySetResult(ConnectedAt);
                }
                else if (line.StartsWith(": heartbeat", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _heartbeats);
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
                    at = Stopwatch.GetTimestamp();
                    data = line[6..];
                }
            }

            Ended = true;
            Error ??= "closed by the server";
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException or OperationCanceledException)
        {
            Ended = true;
            Error = ex.GetType().Name + ": " + ex.Message;
        }
        finally
        {
            _connected.TrySetResult(0);
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

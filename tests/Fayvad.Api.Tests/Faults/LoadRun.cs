using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Faults;

/// <summary>One request of a load run: when it started (ms since the run began), how long it took, what came back.</summary>
public sealed record Outcome(string Op, double StartedMs, double TookMs, int Status, string? Error, bool RetryAfter, string? Key, string? MessageId);

/// <summary>A reader and sender of the load: a token, the ids it may open, where its sends go.</summary>
public sealed record LoadUser(string Token, IReadOnlyList<string> MessageIds, string SendTo);

/// <summary>
/// Concurrent clients over HTTP on loopback, each looping over list (with bodies), detail, folders and send (every send
/// with its own Idempotency-Key, recorded with its answer). Status -1 is a connection error, -2 a client timeout.
/// </summary>
public sealed class LoadRun : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _clients;

    public LoadRun(Uri api, IReadOnlyList<LoadUser> users, int clients, string run, int sendPercent = 10, TimeSpan? timeout = null)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients + 4 })
        {
            BaseAddress = api,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        _clients = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, users[c % users.Count], run, sendPercent))));
    }

    public double NowMs => _clock.Elapsed.TotalMilliseconds;

    public IReadOnlyList<Outcome> Outcomes => [.. _outcomes];

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _clients;
    }

    /// <summary>A send outside the load, e.g. a client's retry of a key that failed.</summary>
    public async Task<Outcome> SendAsync(LoadUser user, string key)
    {
        var started = NowMs;
        using var request = Send(user, key);
        return await ReadAsync("send", request, started, key);
    }

    private async Task ClientAsync(int client, LoadUser user, string run, int sendPercent)
    {
        var rng = new Random(client);
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            var roll = rng.Next(100);
            string op;
            HttpRequestMessage request;
            string? key = null;
            if (roll < sendPercent)
            {
                op = "send";
                key = $"{run}-{client}-{n++}";
                request = Send(user, key);
            }
            else if (roll < 45)
            {
                op = "list";
                request = Get($"/fayvad_api/email/messages/?folder=INBOX&page={rng.Next(1, 3)}&limit=10&include_body=true", user.Token);
            }
            else if (roll < 75 && user.MessageIds.Count > 0)
            {
                op = "detail";
                request = Get($"/fayvad_api/email/messages/{user.MessageIds[rng.Next(user.MessageIds.Count)]}/", user.Token);
            }
            else
            {
                op = "folders";
                request = Get("/fayvad_api/email/folders/", user.Token);
            }

            using (request)
            {
                _outcomes.Enqueue(await ReadAsync(op, request, NowMs, key));
            }
        }
    }

    private async Task<Outcome> ReadAsync(string op, HttpRequestMessage request, double started, string? key)
    {
        try
        {
            using var response = await _http.SendAsync(request, CancellationToken.None);
            var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
            string? error = null;
            string? messageId = null;
            try
            {
                var body = JsonDocument.Parse(text).RootElement;
                if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e))
                {
                    error = e.GetString() ?? "";
                }

                if (op == "send" && body.ValueKind == JsonValueKind.Object && body.TryGetProperty("message_id", out var id))
                {
                    messageId = id.GetString();
                }
            }
            catch (JsonException)
            {
                error = (int)response.StatusCode >= 400 ? "(not JSON) " + text[..Math.Min(text.Length, 200)] : null;
            }

            return new Outcome(op, started, NowMs - started, (int)response.StatusCode, error, response.Headers.RetryAfter is not null, key, messageId);
        }
        catch (HttpRequestException ex)
        {
            return new Outcome(op, started, NowMs - started, -1, ex.Message, false, key, null);
        }
        catch (TaskCanceledException)
        {
            return new Outcome(op, started, NowMs - started, -2, "client timeout", false, key, null);
        }
    }

    private static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage Send(LoadUser user, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/fayvad_api/email/send/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Headers.Add("Idempotency-Key", key);
        request.Content = JsonContent.Create(new { to_emails = new[] { user.SendTo }, subject = "fault " + key, body = "Sent under load." });
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
        _http.Dispose();
    }
}

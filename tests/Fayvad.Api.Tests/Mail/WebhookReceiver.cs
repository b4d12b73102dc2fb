using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fayvad.Api.Tests.Mail;

public sealed record ReceivedWebhook(string Body, string? EventId, string? Timestamp, string? Signature, int AnsweredWith);

/// <summary>A webhook receiver on a loopback port that answers with the status codes it is told, in order, then 200.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _answers = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync(params int[] answers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        foreach (var answer in answers)
        {
            receiver._answers.Enqueue(answer);
        }

        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var status = receiver._answers.TryDequeue(out var next) ? next : 200;
            receiver.Received.Enqueue(new ReceivedWebhook(body, request.Headers["X-Fayvad-Event-Id"], request.Headers["X-Fayvad-Timestamp"],
                request.Headers["X-Fayvad-Signature"], status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = app.Urls.Single() + "/hook";
        return receiver;
    }

    /// <summary>From now on, answer every request with this status.</summary>
    public void AnswerAlways(HttpStatusCode status)
    {
        _answers.Clear();
        for (var i = 0; i < 10_000; i++)
        {
            _answers.Enqueue((int)status);
        }
    }

    public void AnswerOk() => _answers.Clear();

    public async Task<List<ReceivedWebhook>> WaitForAsync(Func<List<ReceivedWebhook>, bool> done, int seconds, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var now = Received.ToList();
            if (done(now))
            {
                return now;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"Receiver got {Received.Count} requests: {string.Join(" | ", Received.Select(r => $"{r.AnsweredWith} {r.EventId}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fayvad.Api.Tests;

/// <summary>
/// What a test node logs, kept in memory: a test waits for a background job to report a pass (polling this) instead of
/// sleeping for "long enough". Add it with <c>builder.ConfigureLogging(l => l.AddProvider(log))</c>.
/// </summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, string Message)> _entries = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    /// <summary>Entries of a category (its type name's end, e.g. "DeletionPurger") whose message contains <paramref name="text"/>.</summary>
    public int Count(string category, string text) =>
        _entries.Count(e => e.Category.EndsWith(category, StringComparison.Ordinal) && e.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits until at least <paramref name="times"/> such entries were logged.</summary>
    public async Task WaitForAsync(string category, string text, int times, CancellationToken ct) =>
        await Fayvad.Api.Tests.MailServer.Poll.UntilAsync($"{times} log entries of {category} containing '{text}'", TimeSpan.FromSeconds(30),
            () => Task.FromResult(Count(category, text)), n => n >= times, ct);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, formatter(state, exception)));
    }
}

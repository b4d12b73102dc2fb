using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Fayvad.PushBench;

/// <summary>
/// The baseline: a plain IMAP client of the same mailbox (its own connection, master login) that notes when Dovecot
/// tells it that a folder's message count went up. Times are taken off the wire (MailKit's protocol logger sees the bytes
/// as they are read, before any parsing), so the baseline is as early as any client could know.
/// <list type="bullet">
/// <item><see cref="StartIdleAsync"/>: EXAMINE the folder, IDLE, note each <c>* n EXISTS</c>.</item>
/// <item><see cref="StartNotifyAsync"/>: what the API's MailboxWatcher does: NOTIFY SET (selected + personal folders),
/// EXAMINE INBOX, IDLE, note each <c>* STATUS folder (MESSAGES n ...)</c> of another folder.</item>
/// </list>
/// </summary>
internal sealed partial class ImapCountWatch : IAsyncDisposable
{
    private readonly ImapClient _client;
    private readonly string _folder;
    private readonly bool _byStatus;
    private readonly CancellationTokenSource _quit = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _gate = new();
    private readonly List<(int Count, long At)> _seen = [];
    private readonly List<(int Above, TaskCompletionSource<long> Done)> _waiters = [];
    private Task _loop = Task.CompletedTask;
    private int _current = -1;

    private ImapCountWatch(string folder, bool byStatus, string description)
    {
        _folder = folder;
        _byStatus = byStatus;
        Description = description;
        _client = new ImapClient(new WireLog(OnServerLine));
    }

    public string Description { get; }

    public string? Error { get; private set; }

    /// <summary>The highest message count of the folder seen so far.</summary>
    public int Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public static async Task<ImapCountWatch> StartIdleAsync(StackEnv env, string mailbox, string folder, CancellationToken ct)
    {
        var watch = new ImapCountWatch(folder, false, $"raw IMAP IDLE on {folder}, * EXISTS");
        try
        {
            await watch.LoginAsync(env, mailbox, ct);
            var target = folder == "INBOX" ? watch._client.Inbox : await watch._client.GetFolderAsync(folder, ct);
            await target.OpenAsync(FolderAccess.ReadOnly, ct);
            watch.Record(target.Count, Stopwatch.GetTimestamp());
            watch._loop = Task.Run(watch.IdleLoopAsync, CancellationToken.None);
            return watch;
        }
        catch
        {
            await watch.DisposeAsync();
            throw;
        }
    }

    public static async Task<ImapCountWatch> StartNotifyAsync(StackEnv env, string mailbox, string folder, CancellationToken ct)
    {
        var watch = new ImapCountWatch(folder, true, $"raw IMAP NOTIFY like the watcher, * STATUS");
        try
        {
            await watch.LoginAsync(env, mailbox, ct);
            var target = await watch._client.GetFolderAsync(folder, ct);
            await target.StatusAsync(StatusItems.Count, ct);
            watch.Record(target.Count, Stopwatch.GetTimestamp());
            // The event groups of src/Modules/Mail/Fayvad.Mail/Push/MailboxWatcher.cs.
            await watch._client.NotifyAsync(true,
            [
                new ImapEventGroup(ImapMailboxFilter.Selected, new ImapEvent.MessageNew(), ImapEvent.MessageExpunge, ImapEvent.FlagChange),
                new ImapEventGroup(ImapMailboxFilter.Personal, new ImapEvent.MessageNew(), ImapEvent.MessageExpunge, ImapEvent.FlagChange, ImapEvent.MailboxName),
            ], ct);
            await watch._client.Inbox.OpenAsync(FolderAccess.ReadOnly, ct);
            watch._loop = Task.Run(watch.IdleLoopAsync, CancellationToken.None);
            return watch;
        }
        catch
        {
            await watch.DisposeAsync();
            throw;
        }
    }

    /// <summary>The wire time of the first count above <paramref name="count"/> (already seen or still to come).</summary>
    public Task<long> WaitAboveAsync(int count)
    {
        lock (_gate)
        {
            foreach (var (seen, at) in _seen)
            {
                if (seen > count)
                {
                    return Task.FromResult(at);
                }
            }

            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }

    private async Task LoginAsync(StackEnv env, string mailbox, CancellationToken ct)
    {
        await _client.ConnectAsync(env.Get("IMAP_HOST"), env.GetInt("IMAP_PORT"), SecureSocketOptions.None, ct);
        await _client.AuthenticateAsync(mailbox + "*" + env.Get("IMAP_MASTER_USER"), env.Get("IMAP_MASTER_PASSWORD"), ct);
    }

    private async Task IdleLoopAsync()
    {
        try
        {
            while (!_quit.IsCancellationRequested)
            {
                // RFC 3501 wants IDLE re-issued within 29 minutes.
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_quit.Token);
                done.CancelAfter(TimeSpan.FromMinutes(5));
                await _client.IdleAsync(done.Token, _abort.Token);
            }
        }
        catch (Exception ex) when (!_abort.IsCancellationRequested)
        {
            Error = ex.GetType().Name + ": " + ex.Message;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnServerLine(string line, long at)
    {
        if (!_byStatus)
        {
            if (ExistsLine().Match(line) is { Success: true } exists)
            {
                Record(int.Parse(exists.Groups[1].ValueSpan, CultureInfo.InvariantCulture), at);
            }
        }
        else if (StatusLine().Match(line) is { Success: true } status
                 && string.Equals(status.Groups[2].Value, _folder, StringComparison.Ordinal)
                 && MessagesItem().Match(status.Groups[3].Value) is { Success: true } messages)
        {
            Record(int.Parse(messages.Groups[1].ValueSpan, CultureInfo.InvariantCulture), at);
        }
    }

    private void Record(int count, long at)
    {
        lock (_gate)
        {
            _seen.Add((count, at));
            _current = Math.Max(_current, count);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (count > _waiters[i].Above)
                {
                    _waiters[i].Done.TrySetResult(at);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _quit.CancelAsync();
        if (!_loop.IsCompleted && await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(5))) != _loop)
        {
            await _abort.CancelAsync();
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            if (_client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _client.DisconnectAsync(true, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ImapProtocolException or ImapCommandException or OperationCanceledException or InvalidOperationException)
        {
        }

        _client.Dispose();
        _quit.Dispose();
        _abort.Dispose();
    }

    [GeneratedRegex(@"^\* (\d+) EXISTS")]
    private static partial Regex ExistsLine();

    [GeneratedRegex(@"^\* STATUS (""?)(.+?)\1 \((.*)\)\s*$")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"\bMESSAGES (\d+)")]
    private static partial Regex MessagesItem();

    /// <summary>Cuts what the server sends into lines, each stamped with the time its last bytes were read.</summary>
    private sealed class WireLog(Action<string, long> onLine) : IProtocolLogger
    {
        private readonly StringBuilder _pending = new();

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            var at = Stopwatch.GetTimestamp();
            _pending.Append(Encoding.ASCII.GetString(buffer, offset, count));
            var text = _pending.ToString();
            var start = 0;
            int end;
            while ((end = text.IndexOf("\r\n", start, StringComparison.Ordinal)) >= 0)
            {
                onLine(text[start..end], at);
                start = end + 2;
            }

            _pending.Clear().Append(text, start, text.Length - start);
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
        }

        public void LogConnect(Uri uri)
        {
        }

        public void Dispose()
        {
        }
    }
}

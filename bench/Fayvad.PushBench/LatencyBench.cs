using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Fayvad.PushBench;

/// <summary>Resolves "the SSE message.new with this folder and subject arrived" to its wire time.</summary>
internal sealed class EventWaiters
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Label, long T0)> _lost = new(StringComparer.Ordinal);
    private int _unmatched;

    public ConcurrentDictionary<string, int> Types { get; } = new(StringComparer.Ordinal);

    /// <summary>Events given up on that came after all: which message, and how long after its t0.</summary>
    public ConcurrentQueue<(string Label, double Ms)> Late { get; } = new();

    /// <summary>message.new events nobody waited for (doubles, or events of messages the bench did not send).</summary>
    public int Unmatched => Volatile.Read(ref _unmatched);

    public int StillLost => _lost.Count;

    public Task<long> Expect(string folder, string subject)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[Key(folder, subject)] = done;
        return done.Task;
    }

    /// <summary>Stops waiting; an event still to come is then timed as late for <paramref name="label"/>.</summary>
    public void GiveUp(string folder, string subject, string label, long t0)
    {
        if (_pending.TryRemove(Key(folder, subject), out var done) && !done.Task.IsCompleted)
        {
            _lost[Key(folder, subject)] = (label, t0);
        }
    }

    public void OnEvent(SseEvent e)
    {
        Types.AddOrUpdate(e.Type, 1, (_, n) => n + 1);
        if (e.Type != "message.new")
        {
            return;
        }

        var folder = e.Data.TryGetProperty("folder", out var f) ? f.GetString() : null;
        var subject = e.Data.TryGetProperty("message", out var m) && m.TryGetProperty("subject", out var s) ? s.GetString() : null;
        if (folder is null || subject is null)
        {
            Interlocked.Increment(ref _unmatched);
        }
        else if (_pending.TryRemove(Key(folder, subject), out var done))
        {
            done.TrySetResult(e.At);
        }
        else if (_lost.TryRemove(Key(folder, subject), out var lost))
        {
            Late.Enqueue((lost.Label, Stopwatch.GetElapsedTime(lost.T0, e.At).TotalMilliseconds));
        }
        else
        {
            Interlocked.Increment(ref _unmatched);
        }
    }

    private static string Key(string folder, string subject) => folder + "\n" + subject;
}

/// <summary>Measurements 1 and 2: from the mail server's "OK" (SMTP 250 / APPEND OK) to the event on the SSE stream.</summary>
internal sealed class LatencyBench(Options options, StackEnv env, ApiClient api, HttpClient http, string runId, Report report)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var orgAdminUser = env.Get("DEMO_ORGADMIN_USER");
        var orgAdmin = await api.LoginAsync(orgAdminUser, env.Get("DEMO_ORGADMIN_PASSWORD"), ct);
        var address = $"pushbench-{runId}@{orgAdminUser.Split('@')[1]}";
        var password = ApiClient.NewPassword();
        await api.CreateEmailAccountAsync(orgAdmin, address, password, ct);
        var token = await api.LoginAsync(address, password, ct);
        report.Line($"bench mailbox {address} (created by the demo org admin; password generated, not kept)");

        // Before the stream opens, so that the mailbox's first watch takes the folders into its baseline.
        var spreadFolders = Enumerable.Range(1, options.SpreadFolders).Select(n => $"Spread{n}").ToList();
        using (var imap = await OpenImapAsync(address, ct))
        {
            var root = imap.GetFolder(imap.PersonalNamespaces[0]);
            await root.CreateAsync(options.Folder, true, ct);
            if (options.Phases.Contains("spread"))
            {
                foreach (var name in spreadFolders)
                {
                    await root.CreateAsync(name, true, ct);
                }
            }

            await imap.DisconnectAsync(true, ct);
        }

        var waiters = new EventWaiters();
        var opened = Stopwatch.GetTimestamp();
        await using var stream = await SseStream.OpenAsync(http, token, TimeSpan.FromSeconds(30), ct, waiters.OnEvent);
        report.Line($"event stream open (': connected' after {Stopwatch.GetElapsedTime(opened).TotalMilliseconds:0} ms, first watch of the mailbox)");

        if (options.Phases.Contains("inbox"))
        {
            await using var idle = await ImapCountWatch.StartIdleAsync(env, address, "INBOX", ct);
            using var smtp = new SmtpClient();
            var sender = new MailboxAddress("Push bench", "bench@example.com");
            var recipient = MailboxAddress.Parse(address);
            report.Section($"1. INBOX: SMTP 250 (inbound :{env.Get("SMTP_PORT")}) -> event; {options.Messages} messages + {options.Warmup} warm-up, one at a time, {options.GapMs} ms apart");
            var result = await MeasureAsync(address, "inbox", "INBOX", [idle], waiters, async (message, token) =>
            {
                if (!smtp.IsConnected)
                {
                    await smtp.ConnectAsync(env.Get("SMTP_HOST"), env.GetInt("SMTP_PORT"), SecureSocketOptions.None, token);
                }

                message.From.Add(sender);
                message.To.Add(recipient);
                await smtp.SendAsync(message, sender, [recipient], token);
            }, ct);
            report.Line("  baseline A: a raw MailKit client of the same mailbox on its own connection: EXAMINE INBOX, IDLE");
            report.Latency(result, "SMTP SendAsync returned (server's 250 to DATA)");
            if (smtp.IsConnected)
            {
                await smtp.DisconnectAsync(true, ct);
            }
        }

        if (options.Phases.Contains("folder"))
        {
            await using var idle = await ImapCountWatch.StartIdleAsync(env, address, options.Folder, ct);
            await using var notify = await ImapCountWatch.StartNotifyAsync(env, address, options.Folder, ct);
            using var imap = await OpenImapAsync(address, ct);
            var target = await imap.GetFolderAsync(options.Folder, ct);
            var from = new MailboxAddress("Push bench", "bench@example.com");
            var to = MailboxAddress.Parse(address);
            report.Section($"2. {options.Folder} (not INBOX): IMAP APPEND OK -> event; {options.Messages} messages + {options.Warmup} warm-up, one at a time, {options.GapMs} ms apart");
            var result = await MeasureAsync(address, "folder", options.Folder, [idle, notify], waiters, async (message, token) =>
            {
                message.From.Add(from);
                message.To.Add(to);
                await target.AppendAsync(new AppendRequest(message), token);
            }, ct);
            report.Line($"  baseline A: a raw MailKit client of the same mailbox: EXAMINE {options.Folder}, IDLE");
            report.Line("  baseline B: another one doing what MailboxWatcher does: NOTIFY SET (selected + personal), EXAMINE INBOX, IDLE");
            report.Latency(result, "APPEND's tagged OK (master login, separate connection)");
            await imap.DisconnectAsync(true, ct);
        }

        if (options.Phases.Contains("spread"))
        {
            await SpreadAsync(address, spreadFolders, waiters, ct);
        }

        // Lost events may still come: give them a minute, to tell "late" from "never".
        for (var waited = 0; waiters.StillLost > 0 && waited < 60; waited++)
        {
            await Task.Delay(1000, ct);
        }

        var late = waiters.Late.ToList();
        if (late.Count > 0 || waiters.StillLost > 0)
        {
            report.Line("");
            report.Line($"lost events that came later: {(late.Count == 0 ? "none" : string.Join(", ", late.Select(l => $"{l.Label} after {l.Ms / 1000:0.0} s")))}; "
                        + $"still missing a minute after the last message: {waiters.StillLost}");
            report.Anomaly($"lost events came {(late.Count == 0 ? "never" : $"{late.Min(l => l.Ms) / 1000:0.0}-{late.Max(l => l.Ms) / 1000:0.0} s late ({late.Count})")}, {waiters.StillLost} never (within a minute)");
        }

        var types = string.Join(", ", waiters.Types.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} {t.Value}"));
        report.Line($"events on the stream: {types}; message.new of no message sent by the bench: {waiters.Unmatched}; heartbeats: {stream.Heartbeats}"
                    + (stream.Ended ? $"; STREAM ENDED: {stream.Error}" : ""));
        if (waiters.Unmatched > 0 || stream.Ended)
        {
            report.Anomaly($"latency stream: {waiters.Unmatched} unexpected message.new, ended={stream.Ended} {stream.Error}");
        }
    }

    /// <summary>
    /// Phase 3 (issue #12): many APPENDs spread over several folders, none of them INBOX, sent back to back without
    /// waiting for their events; counts the events later than <see cref="Report.LateMs"/>. This is where Dovecot's list
    /// index log rotates (at 64 KB), after which NOTIFY went quiet for unselected folders (bench/README-push.md).
    /// </summary>
    private async Task SpreadAsync(string address, List<string> folders, EventWaiters waiters, CancellationToken ct)
    {
        report.Section($"3. {options.Appends} APPENDs round robin over {folders.Count} folders ({string.Join(", ", folders)}), {options.AppendGapMs} ms apart, not waiting for events");
        using var imap = await OpenImapAsync(address, ct);
        var targets = new List<IMailFolder>();
        foreach (var name in folders)
        {
            targets.Add(await imap.GetFolderAsync(name, ct));
        }

        var listLog = new ListIndexLog(env, address);
        var from = new MailboxAddress("Push bench", "bench@example.com");
        var to = MailboxAddress.Parse(address);
        var sent = new List<(int Index, string Folder, string Subject, long T0, Task<long> Seen)>();
        var rotations = new List<int>();
        var progress = Stopwatch.StartNew();
        for (var i = 0; i < options.Appends; i++)
        {
            var folder = targets[i % targets.Count];
            var subject = $"pushbench {runId} spread #{i.ToString(CultureInfo.InvariantCulture)}";
            var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = $"Push benchmark message spread #{i}.\n" } };
            message.From.Add(from);
            message.To.Add(to);
            var seen = waiters.Expect(folder.FullName, subject);
            await folder.AppendAsync(new AppendRequest(message), ct);
            sent.Add((i, folder.FullName, subject, Stopwatch.GetTimestamp(), seen));
            if (listLog.Rotated())
            {
                rotations.Add(i);
            }

            if ((i + 1) % 250 == 0)
            {
                Console.Error.WriteLine($"[bench] spread: {i + 1}/{options.Appends} appended ({progress.Elapsed.TotalSeconds:0} s)");
            }

            await Task.Delay(options.AppendGapMs, ct);
        }

        await imap.DisconnectAsync(true, ct);
        var all = Task.WhenAll(sent.Select(s => s.Seen));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(options.TimeoutSeconds), ct));
        var samples = new Samples("API: SSE message.new");
        var late = new List<int>();
        foreach (var (index, folder, subject, t0, seen) in sent)
        {
            if (seen.IsCompletedSuccessfully)
            {
                var ms = Stopwatch.GetElapsedTime(t0, seen.Result).TotalMilliseconds;
                samples.Add(ms);
                if (ms > Report.LateMs)
                {
                    late.Add(index);
                }
            }
            else
            {
                samples.AddLost();
                late.Add(index);
                waiters.GiveUp(folder, subject, $"spread #{index}", t0);
            }
        }

        report.Line($"  t0 = APPEND's tagged OK; t1 = the event's data line read off the SSE stream; sent in {progress.Elapsed.TotalSeconds:0.0} s");
        report.Line(Samples.Header);
        report.Line(samples.Row());
        report.Line($"  Dovecot rotated this mailbox's dovecot.list.index.log during: {(rotations.Count == 0 ? "no append" : string.Join(", ", rotations.Select(i => "#" + i.ToString(CultureInfo.InvariantCulture))))}");
        var pass = late.Count == 0;
        var verdict = $"spread over {folders.Count} folders: {late.Count} of {options.Appends} events later than {Report.LateMs / 1000:0} s (lost {samples.Lost}), "
                      + $"p95 {Samples.F(samples.Percentile(95))} ms, max {Samples.F(samples.Max)} ms; target 0 late: {(pass ? "PASS" : "FAIL")}";
        report.Line("  " + verdict);
        report.Summary(verdict);
        if (!pass)
        {
            report.Anomaly($"spread: {late.Count} events later than {Report.LateMs / 1000:0} s; first #{late[0]}");
        }
    }

    private async Task<LatencyResult> MeasureAsync(
        string mailbox, string label, string folder, IReadOnlyList<ImapCountWatch> baselines, EventWaiters waiters,
        Func<MimeMessage, CancellationToken, Task> put, CancellationToken ct)
    {
        var result = new LatencyResult(folder, baselines.Select(b => b.Description).ToList());
        var listLog = new ListIndexLog(env, mailbox);
        var progress = Stopwatch.StartNew();
        for (var i = -options.Warmup; i < options.Messages; i++)
        {
            var name = i < 0 ? "warm-up " + (-i).ToString(CultureInfo.InvariantCulture) : "#" + i.ToString(CultureInfo.InvariantCulture);
            var subject = $"pushbench {runId} {label} {name}";
            var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = $"Push benchmark message {name}.\n" } };
            var snapshots = baselines.Select(b => b.Current).ToArray();
            var apiSeen = waiters.Expect(folder, subject);
            var baseSeen = baselines.Select((b, k) => b.WaitAboveAsync(snapshots[k])).ToArray();

            await put(message, ct);
            var t0 = Stopwatch.GetTimestamp();

            var all = Task.WhenAll(baseSeen.Append(apiSeen));
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(options.TimeoutSeconds), ct));
            ct.ThrowIfCancellationRequested();
            waiters.GiveUp(folder, subject, $"{folder} {name}", t0);
            if (i >= 0)
            {
                result.Add(i, t0, apiSeen.IsCompletedSuccessfully ? apiSeen.Result : null,
                    baseSeen.Select(t => t.IsCompletedSuccessfully ? t.Result : (long?)null).ToArray());
                if ((i + 1) % 50 == 0)
                {
                    Console.Error.WriteLine($"[bench] {label}: {i + 1}/{options.Messages} ({progress.Elapsed.TotalSeconds:0} s)");
                }
            }

            if (!all.IsCompleted)
            {
                // Whatever arrives late must not be taken for the next message.
                await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(options.TimeoutSeconds), ct));
            }

            if (listLog.Rotated())
            {
                result.ListIndexRotations.Add(i);
            }

            await Task.Delay(options.GapMs, ct);
        }

        return result;
    }

    private async Task<ImapClient> OpenImapAsync(string mailbox, CancellationToken ct)
    {
        var imap = new ImapClient();
        try
        {
            await imap.ConnectAsync(env.Get("IMAP_HOST"), env.GetInt("IMAP_PORT"), SecureSocketOptions.None, ct);
            await imap.AuthenticateAsync(mailbox + "*" + env.Get("IMAP_MASTER_USER"), env.Get("IMAP_MASTER_PASSWORD"), ct);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }
}

/// <summary>One latency phase: per message, t0 and when the API's SSE stream and each baseline saw it.</summary>
internal sealed class LatencyResult(string folder, IReadOnlyList<string> baselineNames)
{
    public string Folder { get; } = folder;

    public Samples Api { get; } = new("API: SSE message.new");

    public IReadOnlyList<Samples> Baselines { get; } = baselineNames.Select((n, k) => new Samples($"baseline {(char)('A' + k)}: {n}")).ToList();

    /// <summary>Per message: the API's time minus the baseline's (what the API adds to what Dovecot allows).</summary>
    public IReadOnlyList<Samples> Overheads { get; } = baselineNames.Select((_, k) => new Samples($"API minus baseline {(char)('A' + k)}, same message")).ToList();

    /// <summary>Messages whose event the API's stream did not deliver within the timeout.</summary>
    public List<int> ApiLost { get; } = [];

    /// <summary>Messages during which Dovecot rotated the mailbox's dovecot.list.index.log (negative: warm-up).</summary>
    public List<int> ListIndexRotations { get; } = [];

    public List<(int Index, double ApiMs, double?[] BaseMs)> Each { get; } = [];

    public void Add(int index, long t0, long? apiAt, long?[] baseAt)
    {
        double? apiMs = apiAt is { } a ? Stopwatch.GetElapsedTime(t0, a).TotalMilliseconds : null;
        var baseMs = baseAt.Select(b => b is { } at ? Stopwatch.GetElapsedTime(t0, at).TotalMilliseconds : (double?)null).ToArray();
        if (apiMs is { } ms)
        {
            Api.Add(ms);
        }
        else
        {
            Api.AddLost();
            ApiLost.Add(index);
        }

        for (var k = 0; k < baseMs.Length; k++)
        {
            if (baseMs[k] is { } b)
            {
                Baselines[k].Add(b);
                if (apiMs is { } am)
                {
                    Overheads[k].Add(am - b);
                }
            }
            else
            {
                Baselines[k].AddLost();
            }
        }

        Each.Add((index, apiMs ?? double.PositiveInfinity, baseMs));
    }
}

/// <summary>
/// Notices when Dovecot rotates a mailbox's dovecot.list.index.log (at 64 KB, or 8 KB and 5 minutes old): a rotated log
/// starts small again. Dovecot's NOTIFY for folders other than the selected one reads that log.
/// </summary>
internal sealed class ListIndexLog
{
    private readonly string? _path;
    private long _lastLength;

    public ListIndexLog(StackEnv env, string mailbox)
    {
        try
        {
            var home = Probe.Run("doveadm", ["-c", env.Get("DOVECOT_CONF"), "user", "-f", "home", mailbox]).Trim();
            var path = Path.Combine(home, "Maildir", "dovecot.list.index.log");
            _path = File.Exists(path) ? path : null;
            _lastLength = Length();
        }
        catch (BenchException)
        {
            _path = null;
        }
    }

    public string Description => _path ?? "(not found: rotations not tracked)";

    /// <summary>Whether the log was rotated since the last call.</summary>
    public bool Rotated()
    {
        var length = Length();
        var rotated = length < _lastLength;
        _lastLength = length;
        return rotated;
    }

    private long Length() => _path is not null && File.Exists(_path) ? new FileInfo(_path).Length : 0;
}

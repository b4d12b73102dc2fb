using Fayvad.Mail.Contracts;
using Fayvad.Sync.Log;
using Fayvad.Sync.Watch;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fayvad.Sync.Tests;

/// <summary>
/// The sweep that repairs lost hints and the scheduler that runs passes, against the stack's real PostgreSQL (schema
/// sync) and a scripted mail server: which mailboxes a sweep passes, and how asks for one mailbox coalesce.
/// </summary>
public sealed class SweepAndPassTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string[] _mailboxes = [$"a-{Guid.NewGuid():N}@sync-test.test", $"b-{Guid.NewGuid():N}@sync-test.test"];
    private readonly PushOptions _options = new() { Retention = TimeSpan.FromHours(2), SweepInterval = TimeSpan.FromMinutes(1), MaxConcurrentPasses = 4 };
    private readonly Lock _gate = new();
    private SyncStore _store = null!;

    public async ValueTask InitializeAsync() => _store = await SyncStore.OpenAsync(_mailboxes, Ct);

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Fact]
    public async Task With_doveadm_only_mailboxes_whose_folders_moved_are_passed()
    {
        var mail = new ScriptedMail(canReadManyMarks: true);
        await BaselineAsync(mail);
        // a: as stored; b: one message more in INBOX.
        mail.Marks = m => m == _mailboxes[0] ? [Mark("INBOX", 5, 4)] : [Mark("INBOX", 6, 5)];
        var entries = Leased(_mailboxes);

        var passed = await SweepAsync(mail, entries);

        Assert.Equal([_mailboxes[1]], passed);
        Assert.Equal([2], mail.MarkBatches);
    }

    [Fact]
    public async Task A_mailbox_the_mail_server_no_longer_knows_or_with_a_new_folder_is_passed()
    {
        var mail = new ScriptedMail(canReadManyMarks: true);
        await BaselineAsync(mail);
        mail.Marks = m => m == _mailboxes[0] ? null : [Mark("INBOX", 5, 4), Mark("Projects", 1, 0)];

        var passed = await SweepAsync(mail, Leased(_mailboxes));

        Assert.Equal(_mailboxes.Order(StringComparer.Ordinal), passed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task When_doveadm_fails_or_is_not_configured_every_due_mailbox_is_passed_and_swept_again_one_interval_later()
    {
        var failing = new ScriptedMail(canReadManyMarks: true) { Marks = _ => throw new HttpRequestException("doveadm is down") };
        var entries = Leased(_mailboxes);
        Assert.Equal(2, (await SweepAsync(failing, entries)).Count);
        Assert.All(entries, e => Assert.InRange(e.NextSweep - Environment.TickCount64, 50_000, 60_000));

        var withoutDoveadm = new ScriptedMail(canReadManyMarks: false);
        Assert.Equal(2, (await SweepAsync(withoutDoveadm, Leased(_mailboxes))).Count);
        Assert.Empty(withoutDoveadm.MarkBatches);
    }

    [Fact]
    public async Task Mailboxes_not_held_or_not_yet_due_are_left_alone()
    {
        var mail = new ScriptedMail(canReadManyMarks: true);
        var notHeld = new WatchEntry(_mailboxes[0], _gate) { NextSweep = 0 };
        var notDue = new WatchEntry(_mailboxes[1], _gate) { Leased = true, NextSweep = Environment.TickCount64 + 60_000 };

        Assert.Empty(await SweepAsync(mail, [notHeld, notDue]));
        Assert.Empty(mail.MarkBatches);
    }

    [Fact]
    public async Task Asks_arriving_while_a_pass_runs_merge_into_one_more_pass()
    {
        var mail = new ScriptedMail(canReadManyMarks: false);
        await BaselineAsync(mail);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mail.Hold = release.Task;
        using var stopping = new CancellationTokenSource();
        using var scheduler = new PassScheduler(Sync(mail), _options, _store.Metrics, NullLogger.Instance, stopping.Token);
        var entry = Leased(_mailboxes[..1])[0];

        scheduler.Request(entry);
        await WaitForAsync(() => mail.Compares == 1);
        for (var i = 0; i < 5; i++)
        {
            scheduler.Request(entry);
        }

        release.SetResult();
        await WaitForAsync(() => !Running(entry));

        Assert.Equal(2, scheduler.PassesRun);
        Assert.Equal(2, mail.Compares);
        Assert.True(entry.Synced);
        await stopping.CancelAsync();
    }

    [Fact]
    public async Task A_failed_pass_is_tried_again_until_one_succeeds()
    {
        var mail = new ScriptedMail(canReadManyMarks: false);
        await BaselineAsync(mail);
        mail.FailNext = 1;
        using var stopping = new CancellationTokenSource();
        using var scheduler = new PassScheduler(Sync(mail), _options, _store.Metrics, NullLogger.Instance, stopping.Token);
        var entry = Leased(_mailboxes[..1])[0];

        scheduler.Request(entry);
        await WaitForAsync(() => scheduler.PassesRun == 1);

        Assert.Equal(2, mail.Compares);
        Assert.True(entry.Synced);
        await stopping.CancelAsync();
    }

    private async Task BaselineAsync(ScriptedMail mail)
    {
        foreach (var mailbox in _mailboxes)
        {
            await Sync(mail).PassAsync(mailbox, Ct);
        }

        mail.Compares = 0;
    }

    private async Task<List<string>> SweepAsync(ScriptedMail mail, IEnumerable<WatchEntry> entries)
    {
        var passed = new List<string>();
        await new Sweep(mail, _store.States, _options, NullLogger.Instance).RoundAsync(entries, e => passed.Add(e.Mailbox), Ct);
        return passed;
    }

    private WatchEntry[] Leased(IEnumerable<string> mailboxes) =>
        mailboxes.Select(m => new WatchEntry(m, _gate) { Leased = true, NextSweep = 0 }).ToArray();

    private MailboxSync Sync(ScriptedMail mail) => new(_store.Log, _store.States, mail, _options);

    private static bool Running(WatchEntry entry)
    {
        lock (entry)
        {
            return entry.Running;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(10, Ct);
        }
    }

    private static FolderMark Mark(string folder, long uidNext, int messages) => new(folder, 1, uidNext, 1, messages, 0);

    /// <summary>A mail server whose INBOX stands at UIDNEXT 5 with 4 messages, as far as a baseline pass is told.</summary>
    private sealed class ScriptedMail(bool canReadManyMarks) : IMailboxChanges
    {
        private int _compares;

        public bool CanReadManyMarks => canReadManyMarks;

        public Func<string, IReadOnlyList<FolderMark>?> Marks { get; set; } = _ => [];

        public List<int> MarkBatches { get; } = [];

        public Task Hold { get; set; } = Task.CompletedTask;

        public int FailNext { get; set; }

        public int Compares { get => Volatile.Read(ref _compares); set => Volatile.Write(ref _compares, value); }

        public async Task<MailboxDelta> CompareAsync(string mailbox, IReadOnlyDictionary<string, FolderMark> marks, bool baseline, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _compares);
            await Hold;
            if (FailNext > 0)
            {
                FailNext--;
                throw new IOException("the mail server went away");
            }

            return baseline ? new MailboxDelta([], [Mark("INBOX", 5, 4)], [], false) : new MailboxDelta([], [], [], false);
        }

        public Task<IReadOnlyList<IReadOnlyList<FolderMark>?>> MarksAsync(IReadOnlyList<string> mailboxes, CancellationToken cancellationToken)
        {
            MarkBatches.Add(mailboxes.Count);
            return Task.FromResult<IReadOnlyList<IReadOnlyList<FolderMark>?>>(mailboxes.Select(Marks).ToList());
        }

        public Task<string?> ResolveFolderAsync(string mailbox, string name, IReadOnlyCollection<string> existing, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}

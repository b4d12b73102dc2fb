using System.Text.Json;
using Fayvad.Mail.Contracts;
using Fayvad.Sync.Log;
using Fayvad.Sync.Watch;

namespace Fayvad.Sync.Tests;

/// <summary>
/// The sync pass against the stack's real PostgreSQL (schema sync) and a scripted mail server behind
/// <see cref="IMailboxChanges"/>: what Mail reports is written once, in order, with its marks, whatever the timing.
/// </summary>
public sealed class MailboxSyncTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _mailbox = $"sync-{Guid.NewGuid():N}@sync-test.test";
    private readonly PushOptions _options = new() { Retention = TimeSpan.FromHours(2) };
    private SyncStore _store = null!;

    public async ValueTask InitializeAsync() => _store = await SyncStore.OpenAsync([_mailbox], Ct);

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Fact]
    public async Task The_first_pass_records_where_folders_stand_and_reports_nothing()
    {
        var mail = new ScriptedMail((_, baseline) => baseline
            ? new MailboxDelta([], [Mark("INBOX", uidNext: 5)], [], false)
            : throw new InvalidOperationException("the first pass must be a baseline"));

        var pass = await Sync(mail).PassAsync(_mailbox, Ct);

        Assert.True(pass.Wrote);
        Assert.Equal(5, (await _store.States.LoadAsync(_mailbox, Ct))["INBOX"].UidNext);
        Assert.Empty(await _store.Log.ReadAfterAsync(_mailbox, 0, 10, Ct));
    }

    [Fact]
    public async Task Changes_are_written_in_order_with_the_marks_they_came_from_and_the_next_pass_compares_with_those()
    {
        var seen = new List<IReadOnlyDictionary<string, FolderMark>>();
        var mail = new ScriptedMail((marks, baseline) =>
        {
            seen.Add(marks);
            return baseline
                ? new MailboxDelta([], [Mark("INBOX", uidNext: 5)], [], false)
                : new MailboxDelta(
                    [
                        new MailChange(MailEventTypes.MessageDeleted, "INBOX", new MessageDeletedData("INBOX", "m4")),
                        new MailChange(MailEventTypes.FolderCounts, "INBOX", new FolderCountsData("INBOX", 0, 3)),
                    ],
                    [Mark("INBOX", uidNext: 6, messages: 3)], [], MoreToCome: true);
        });
        var sync = Sync(mail);

        await sync.PassAsync(_mailbox, Ct);
        var pass = await sync.PassAsync(_mailbox, Ct);

        Assert.True(pass.MoreToCome);
        Assert.Equal(5, seen[1]["INBOX"].UidNext);
        var events = await _store.Log.ReadAfterAsync(_mailbox, 0, 10, Ct);
        Assert.Equal([1L, 2L], events.Select(e => e.Seq));
        Assert.Equal([MailEventTypes.MessageDeleted, MailEventTypes.FolderCounts], events.Select(e => e.Type));
        Assert.Equal("m4", JsonDocument.Parse(events[0].Data).RootElement.GetProperty("id").GetString());
        Assert.Equal(3, (await _store.States.LoadAsync(_mailbox, Ct))["INBOX"].Messages);
    }

    [Fact]
    public async Task After_a_gap_longer_than_the_log_is_kept_the_client_is_told_to_reload_once()
    {
        var mail = new ScriptedMail((_, baseline) => new MailboxDelta([], [Mark("INBOX", uidNext: baseline ? 5 : 9)], [], false));
        await Sync(mail).PassAsync(_mailbox, Ct);
        await using (var old = _store.Data.Source.CreateCommand("UPDATE sync.mailbox_streams SET synced_at = now() - interval '3 hours' WHERE mailbox = $1"))
        {
            old.Parameters.AddWithValue(_mailbox);
            await old.ExecuteNonQueryAsync(Ct);
        }

        await Sync(mail).PassAsync(_mailbox, Ct);
        await Sync(mail).PassAsync(_mailbox, Ct);

        var events = await _store.Log.ReadAfterAsync(_mailbox, 0, 10, Ct);
        Assert.Equal([MailEventTypes.Reset], events.Select(e => e.Type));
    }

    [Fact]
    public async Task A_writer_that_got_there_first_makes_the_pass_compare_again_so_nothing_is_written_twice()
    {
        var calls = 0;
        var mail = new ScriptedMail((marks, baseline) =>
        {
            calls++;
            if (baseline)
            {
                return new MailboxDelta([], [Mark("INBOX", uidNext: 5)], [], false);
            }

            if (calls == 2)
            {
                // Another node (a lease handover) writes the same change while this pass is talking to the mail server.
                _store.Log.CommitAsync(_mailbox, 0, [New("u5")], [Mark("INBOX", uidNext: 6)], [], Ct).GetAwaiter().GetResult();
                return new MailboxDelta([New("u5")], [Mark("INBOX", uidNext: 6)], [], false);
            }

            return marks["INBOX"].UidNext == 6 ? new MailboxDelta([], [], [], false) : throw new InvalidOperationException("compared with stale marks");
        });
        var sync = Sync(mail);

        await sync.PassAsync(_mailbox, Ct);
        await sync.PassAsync(_mailbox, Ct);

        Assert.Equal(3, calls);
        Assert.Single(await _store.Log.ReadAfterAsync(_mailbox, 0, 10, Ct));
    }

    private MailboxSync Sync(IMailboxChanges mail) => new(_store.Log, _store.States, mail, _options);

    private static FolderMark Mark(string folder, long uidNext, int messages = 4) => new(folder, 1, uidNext, uidNext * 10, messages, 0);

    private static MailChange New(string id) => new(MailEventTypes.MessageDeleted, "INBOX", new MessageDeletedData("INBOX", id));

    /// <summary>The mail server as the pass sees it: each comparison answered by a script.</summary>
    private sealed class ScriptedMail(Func<IReadOnlyDictionary<string, FolderMark>, bool, MailboxDelta> compare) : IMailboxChanges
    {
        public bool CanReadManyMarks => false;

        public Task<MailboxDelta> CompareAsync(string mailbox, IReadOnlyDictionary<string, FolderMark> marks, bool baseline, CancellationToken cancellationToken) =>
            Task.FromResult(compare(marks, baseline));

        public Task<IReadOnlyList<IReadOnlyList<FolderMark>?>> MarksAsync(IReadOnlyList<string> mailboxes, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<string?> ResolveFolderAsync(string mailbox, string name, IReadOnlyCollection<string> existing, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}

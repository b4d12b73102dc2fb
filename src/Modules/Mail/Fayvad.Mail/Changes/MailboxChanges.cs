using System.Collections.Concurrent;
using System.Text.Json;
using Fayvad.Mail.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Mime;
using Fayvad.Mail.Store;
using MailKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Changes;

/// <summary>
/// What changed in a mailbox, as the mail server says it: one LIST-STATUS for all folders on a pooled connection,
/// compared with the marks of the last pass, and a CONDSTORE/QRESYNC delta of each folder that moved. The changes come
/// from those deltas, never from what asked for the pass, so a missed, merged or duplicated hint costs latency, never
/// an event (docs/adr/0021, 0039).
/// </summary>
internal sealed class MailboxChanges(IImapSessions sessions, IServiceScopeFactory scopes, IOptions<MailOptions> options) : IMailboxChanges
{
    private const StatusItems FolderStatus = StatusItems.Count | StatusItems.Unread | StatusItems.UidNext | StatusItems.UidValidity | StatusItems.HighestModSeq;

    /// <summary>New messages reported per folder per pass; the rest follow in the next pass.</summary>
    private const int MaxNewPerPass = 200;

    private static readonly TimeSpan SpecialFolderLifetime = TimeSpan.FromMinutes(5);
    private static readonly string[] StatusFields = ["messages", "unseen", "uidnext", "uidvalidity", "highestmodseq"];
    private static readonly string[] AllFolders = ["*"];

    private readonly ConcurrentDictionary<(string Mailbox, string Name), (string? Path, DateTime Until)> _specialFolders = new();

    public bool CanReadManyMarks => options.Value.Doveadm is { Url.Length: > 0, ApiKey.Length: > 0 };

    public Task<MailboxDelta> CompareAsync(string mailbox, IReadOnlyDictionary<string, FolderMark> marks, bool baseline, CancellationToken cancellationToken) =>
        sessions.RunAsync(mailbox, async (session, ct) =>
        {
            // A lent connection may have a folder selected, and Dovecot answers STATUS of the selected folder from the
            // session's own view, which only a sync moves on: without this, others' changes there would stay unseen.
            await session.RefreshAsync(ct);
            var folders = (await session.ListFoldersAsync(FolderStatus, ct)).ToList();
            if (baseline)
            {
                return new MailboxDelta([], folders.Select(f => MarkOf(f, f.UidNext?.Id ?? 0, f.HighestModSeq)).ToList(),
                    marks.Keys.Except(folders.Select(f => f.FullName), StringComparer.Ordinal).ToList(), false);
            }

            return await DiffAsync(folders, marks, ct);
        }, cancellationToken);

    private static async Task<MailboxDelta> DiffAsync(List<IMailFolder> folders, IReadOnlyDictionary<string, FolderMark> stored, CancellationToken ct)
    {
        var changes = new List<MailChange>();
        var marks = new List<FolderMark>();
        var removed = new List<string>();
        var moreToCome = false;
        var current = folders.ToDictionary(f => f.FullName, StringComparer.Ordinal);
        var fresh = current.Keys.Where(k => !stored.ContainsKey(k)).ToList();
        var baseline = new Dictionary<string, FolderMark>(stored, StringComparer.Ordinal);
        foreach (var gone in stored.Keys.Where(k => !current.ContainsKey(k)).ToList())
        {
            removed.Add(gone);
            baseline.Remove(gone);
            // Dovecot keeps a folder's UIDVALIDITY across RENAME: a folder that vanished as one with its UIDVALIDITY appeared moved.
            var renamedTo = fresh.Where(f => current[f].UidValidity == stored[gone].UidValidity).ToList();
            if (renamedTo.Count == 1)
            {
                fresh.Remove(renamedTo[0]);
                changes.Add(new MailChange(MailEventTypes.FolderRenamed, renamedTo[0], new FolderChangeData(renamedTo[0], gone)));
                baseline[renamedTo[0]] = stored[gone] with { Folder = renamedTo[0] };
                marks.Add(stored[gone] with { Folder = renamedTo[0] });
            }
            else
            {
                changes.Add(new MailChange(MailEventTypes.FolderDeleted, gone, new FolderChangeData(gone)));
            }
        }

        foreach (var name in fresh)
        {
            changes.Add(new MailChange(MailEventTypes.FolderCreated, name, new FolderChangeData(name)));
        }

        foreach (var folder in folders)
        {
            var before = baseline.GetValueOrDefault(folder.FullName);
            if (before is not null && before.UidValidity != folder.UidValidity)
            {
                // Deleted and created again under the same name: every old id is dead.
                changes.Add(new MailChange(MailEventTypes.FolderDeleted, folder.FullName, new FolderChangeData(folder.FullName)));
                changes.Add(new MailChange(MailEventTypes.FolderCreated, folder.FullName, new FolderChangeData(folder.FullName)));
                before = null;
            }

            before ??= new FolderMark(folder.FullName, folder.UidValidity, 1, 0, 0, 0);
            if ((ulong)before.HighestModSeq == folder.HighestModSeq && before.UidNext == (folder.UidNext?.Id ?? 0)
                && before.Messages == folder.Count && before.Unseen == folder.Unread)
            {
                continue;
            }

            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            var delta = await FolderDeltas.SinceAsync(folder, (uint)before.UidNext, (ulong)before.HighestModSeq, MaxNewPerPass, ct);
            foreach (var uid in delta.Vanished)
            {
                var id = MessageIds.Encode(folder.FullName, folder.UidValidity, uid.Id);
                changes.Add(new MailChange(MailEventTypes.MessageDeleted, folder.FullName, new MessageDeletedData(folder.FullName, id)));
            }

            foreach (var summary in delta.Updated)
            {
                var flags = MessageMapper.FlagsOf(summary, folder.FullName, folder.UidValidity);
                changes.Add(new MailChange(MailEventTypes.MessageUpdated, folder.FullName,
                    new MessageUpdatedData(folder.FullName, flags.Id, flags.IsRead, flags.IsStarred, flags.Flags)));
            }

            foreach (var summary in delta.Created)
            {
                var dto = MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, null, null);
                changes.Add(new MailChange(MailEventTypes.MessageNew, folder.FullName, new MessageNewData(folder.FullName, dto.Id, dto)));
            }

            if (before.Messages != folder.Count || before.Unseen != folder.Unread)
            {
                changes.Add(new MailChange(MailEventTypes.FolderCounts, folder.FullName, new FolderCountsData(folder.FullName, folder.Unread, folder.Count)));
            }

            marks.RemoveAll(s => s.Folder == folder.FullName);
            marks.Add(MarkOf(folder, delta.UidNext, delta.HighestModSeq));
            moreToCome |= delta.HasMore;
        }

        return new MailboxDelta(changes, marks, removed, moreToCome);
    }

    private static FolderMark MarkOf(IMailFolder folder, uint uidNext, ulong modSeq) =>
        new(folder.FullName, folder.UidValidity, uidNext, (long)modSeq, folder.Count, folder.Unread);

    public async Task<IReadOnlyList<IReadOnlyList<FolderMark>?>> MarksAsync(IReadOnlyList<string> mailboxes, CancellationToken cancellationToken)
    {
        var commands = mailboxes.Select(m => new DoveadmCommand("mailboxStatus", new Dictionary<string, object>
        {
            ["user"] = m, ["field"] = StatusFields, ["mailboxMask"] = AllFolders,
        })).ToList();
        // A typed HttpClient is transient: one per call, so this singleton never holds a handler past its lifetime.
        using var scope = scopes.CreateScope();
        var replies = await scope.ServiceProvider.GetRequiredService<DoveadmClient>().RunAsync(commands, cancellationToken);
        return replies.Select(r => r.Succeeded && r.Output.ValueKind == JsonValueKind.Array ? MarksOf(r.Output) : null).ToList();
    }

    private static List<FolderMark>? MarksOf(JsonElement folders)
    {
        var marks = new List<FolderMark>();
        foreach (var folder in folders.EnumerateArray())
        {
            if (!folder.TryGetProperty("mailbox", out var name) || name.GetString() is not { } path)
            {
                return null;
            }

            marks.Add(new FolderMark(path, Number(folder, "uidvalidity"), Number(folder, "uidnext"), Number(folder, "highestmodseq"),
                (int)Number(folder, "messages"), (int)Number(folder, "unseen")));
        }

        return marks;
    }

    private static long Number(JsonElement folder, string field) =>
        folder.TryGetProperty(field, out var value) && long.TryParse(value.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;

    /// <summary>
    /// By the one naming rule; a special folder's path (LIST with SPECIAL-USE roles) is remembered for a few minutes,
    /// so a polling client does not cost an IMAP round trip per call.
    /// </summary>
    public async Task<string?> ResolveFolderAsync(string mailbox, string name, IReadOnlyCollection<string> existing, CancellationToken cancellationToken)
    {
        if (FolderNames.Resolve(name, existing.Select(k => new FolderEntry(k, null))) is { } path)
        {
            return path;
        }

        if (FolderNames.RoleOfName(name) is null)
        {
            return null;
        }

        var key = (mailbox.ToLowerInvariant(), name.ToLowerInvariant());
        // A remembered path that no longer exists (renamed folder) is resolved again.
        if (_specialFolders.TryGetValue(key, out var known) && known.Until > DateTime.UtcNow && (known.Path is null || existing.Contains(known.Path)))
        {
            return known.Path;
        }

        var resolved = await sessions.RunAsync(mailbox, async (session, c) => (await session.FindFolderAsync(name, c))?.FullName, cancellationToken);
        if (_specialFolders.Count > 10_000)
        {
            _specialFolders.Clear();
        }

        _specialFolders[key] = (resolved, DateTime.UtcNow + SpecialFolderLifetime);
        return resolved;
    }
}

using MailKit;
using MailKit.Search;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>What changed in a folder since a known state, by CONDSTORE/QRESYNC (RFC 7162).</summary>
/// <param name="Created">New messages (UID at or above the old UIDNEXT), ascending, with list summaries.</param>
/// <param name="Updated">Older messages whose flags changed (MODSEQ above the old HIGHESTMODSEQ).</param>
/// <param name="Vanished">Older UIDs expunged since (VANISHED EARLIER).</param>
/// <param name="UidNext">Where the next delta starts; below the folder's UIDNEXT when <paramref name="HasMore"/>.</param>
internal sealed record FolderDelta(
    IReadOnlyList<IMessageSummary> Created,
    IReadOnlyList<IMessageSummary> Updated,
    IReadOnlyList<UniqueId> Vanished,
    uint UidValidity,
    ulong HighestModSeq,
    uint UidNext,
    bool HasMore);

internal static class FolderDeltas
{
    private const MessageSummaryItems FlagItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq;

    /// <summary>
    /// The folder must be open. The new state is the one the open (SELECT/EXAMINE) reported: a change racing with the
    /// fetches is then reported again next time rather than missed.
    /// </summary>
    public static async Task<FolderDelta> SinceAsync(IMailFolder folder, uint sinceUidNext, ulong sinceModSeq, int maxCreated, CancellationToken ct)
    {
        var modSeqAtOpen = folder.HighestModSeq;
        var uidNextAtOpen = folder.UidNext?.Id ?? 0;
        var from = Math.Max(1u, sinceUidNext);

        IReadOnlyList<IMessageSummary> created = [];
        var hasMore = false;
        var nextUid = Math.Max(from, uidNextAtOpen);
        if (folder.Count > 0 && (uidNextAtOpen == 0 || from < uidNextAtOpen))
        {
            // "n:*" also matches the last message when n is past it (RFC 3501 6.4.8), hence the filter.
            var uids = (await folder.SearchAsync(SearchQuery.Uids(new UniqueIdRange(new UniqueId(from), UniqueId.MaxValue)), ct))
                .Where(u => u.Id >= from).OrderBy(u => u.Id).ToList();
            if (uids.Count > maxCreated)
            {
                uids = uids.Take(maxCreated).ToList();
                hasMore = true;
                nextUid = uids[^1].Id + 1;
            }
            else if (uids.Count > 0)
            {
                nextUid = Math.Max(nextUid, uids[^1].Id + 1);
            }

            created = uids.Count == 0
                ? []
                : (await TolerantFetch.FetchAsync(folder, uids, MessageMapper.SummaryRequest(), ct)).Summaries.OrderBy(s => s.UniqueId.Id).ToList();
        }

        IReadOnlyList<IMessageSummary> updated = [];
        var vanished = new List<UniqueId>();
        if (sinceModSeq > 0 && from > 1)
        {
            void OnVanished(object? sender, MessagesVanishedEventArgs e) => vanished.AddRange(e.UniqueIds);
            folder.MessagesVanished += OnVanished;
            try
            {
                var older = new UniqueIdRange(UniqueId.MinValue, new UniqueId(from - 1));
                updated = (await folder.FetchAsync(older, new FetchRequest(FlagItems) { ChangedSince = sinceModSeq }, ct)).ToList();
            }
            finally
            {
                folder.MessagesVanished -= OnVanished;
            }
        }

        return new FolderDelta(created, updated.OrderBy(s => s.UniqueId.Id).ToList(), vanished.Where(u => u.Id < from).Distinct().OrderBy(u => u.Id).ToList(),
            folder.UidValidity, modSeqAtOpen, nextUid, hasMore);
    }
}

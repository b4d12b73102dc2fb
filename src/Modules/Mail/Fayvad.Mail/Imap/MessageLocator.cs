using MailKit;
using MailKit.Search;
using MimeKit;
using MimeKit.Utils;

namespace Fayvad.Mail.Imap;

/// <summary>Finds where the messages a request names live in the caller's mailbox, whichever id form it used.</summary>
internal interface IMessageLocator
{
    /// <summary>
    /// API ids decode without a round trip; RFC Message-IDs are looked up folder by folder (docs/adr/0009), starting with
    /// <paramref name="folderHint"/>. Ids that match nothing are left out of the answer. Folders are left open read-only.
    /// </summary>
    Task<IReadOnlyDictionary<string, MessageLocation>> LocateAsync(
        IMailboxSession session, IReadOnlyCollection<string> ids, string? folderHint, CancellationToken cancellationToken);
}

internal sealed class MessageLocator : IMessageLocator
{
    /// <summary>Message-IDs OR-ed into one SEARCH.</summary>
    private const int SearchChunk = 20;

    /// <summary>Messages whose Message-ID header is read per FETCH when the index missed, newest first.</summary>
    private const int ScanChunk = 500;

    /// <summary>The Message-ID field itself, not the ENVELOPE: an ENVELOPE can hold a literal the client refuses (docs/adr/0033).</summary>
    private static readonly FetchRequest ConfirmRequest = new(MessageSummaryItems.UniqueId) { Headers = new HeaderSet([HeaderId.MessageId]) };

    private static readonly FetchRequest ScanRequest = new(MessageSummaryItems.UniqueId) { Headers = new HeaderSet([HeaderId.MessageId]) };

    public async Task<IReadOnlyDictionary<string, MessageLocation>> LocateAsync(
        IMailboxSession session, IReadOnlyCollection<string> ids, string? folderHint, CancellationToken cancellationToken)
    {
        var located = new Dictionary<string, MessageLocation>(StringComparer.Ordinal);
        // Bare Message-ID -> the ids of the request that name it ("<a@b>" and "a@b" alike).
        var wanted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (MessageIds.TryDecode(id, out var location))
            {
                located[id] = location;
            }
            else if (MessageIds.TryParseRfc(id, out var messageId))
            {
                (wanted.TryGetValue(messageId, out var names) ? names : wanted[messageId] = []).Add(id);
            }
        }

        if (wanted.Count == 0)
        {
            return located;
        }

        // The hint and INBOX answer most lookups: try them before listing every folder.
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var hinted = folderHint is null ? null : await session.FindFolderAsync(folderHint, cancellationToken);
        foreach (var folder in new[] { hinted, session.Inbox }.OfType<IMailFolder>())
        {
            if (wanted.Count == 0 || !tried.Add(folder.FullName))
            {
                continue;
            }

            await LookInAsync(session, folder, wanted, located, cancellationToken);
        }

        if (wanted.Count == 0)
        {
            return located;
        }

        var all = await session.ListFoldersAsync(StatusItems.None, cancellationToken);
        var byPath = all.ToDictionary(f => f.FullName, StringComparer.Ordinal);
        foreach (var path in FolderNames.LookupOrder(all.Select(Folders.Entry), null))
        {
            if (wanted.Count == 0)
            {
                break;
            }

            if (tried.Add(path))
            {
                await LookInAsync(session, byPath[path], wanted, located, cancellationToken);
            }
        }

        return located;
    }

    private static async Task LookInAsync(
        IMailboxSession session, IMailFolder folder, Dictionary<string, List<string>> wanted, Dictionary<string, MessageLocation> located, CancellationToken ct)
    {
        await session.OpenAsync(folder, FolderAccess.ReadOnly, ct);
        if (folder.Count == 0)
        {
            return;
        }

        var found = await SearchAsync(folder, wanted.Keys.ToList(), ct);
        // SEARCH HEADER matches a substring, or, through Dovecot's full-text index, tokens: an id with '+', '=', '$'
        // or '/' can be missed. A folder the index says lacks such an id is read header by header before moving on;
        // ids of plain characters are trusted to the index, so an unknown plain id never costs a scan of the mailbox.
        var unsure = wanted.Keys.Where(k => !found.ContainsKey(k) && !IsPlain(k)).ToHashSet(StringComparer.Ordinal);
        if (unsure.Count > 0)
        {
            await ScanAsync(folder, unsure, found, ct);
        }

        foreach (var (messageId, uid) in found)
        {
            foreach (var id in wanted[messageId])
            {
                located[id] = new MessageLocation(folder.FullName, folder.UidValidity, uid);
            }

            wanted.Remove(messageId);
        }
    }

    /// <summary>Index candidates, each confirmed by its own Message-ID: a SEARCH hit is only a substring or token match.</summary>
    private static async Task<Dictionary<string, uint>> SearchAsync(IMailFolder folder, List<string> messageIds, CancellationToken ct)
    {
        var found = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var chunk in messageIds.Chunk(SearchChunk))
        {
            var query = chunk.Select(id => (SearchQuery)SearchQuery.HeaderContains("Message-ID", id)).Aggregate(SearchQuery.Or);
            var candidates = await folder.SearchAsync(query, ct);
            if (candidates.Count == 0)
            {
                continue;
            }

            var wanted = chunk.ToHashSet(StringComparer.Ordinal);
            foreach (var summary in await folder.FetchAsync(candidates, ConfirmRequest, ct))
            {
                Keep(found, wanted, MessageIdOf(summary), summary.UniqueId.Id);
            }
        }

        return found;
    }

    /// <summary>Reads the Message-ID header of every message, newest first, until every id still wanted is found.</summary>
    private static async Task ScanAsync(IMailFolder folder, HashSet<string> wanted, Dictionary<string, uint> found, CancellationToken ct)
    {
        for (var last = folder.Count - 1; last >= 0 && wanted.Count > 0; last -= ScanChunk)
        {
            var summaries = await folder.FetchAsync(Math.Max(0, last - ScanChunk + 1), last, ScanRequest, ct);
            foreach (var summary in summaries.OrderByDescending(s => s.UniqueId.Id))
            {
                if (MessageIdOf(summary) is { } parsed && Keep(found, wanted, parsed, summary.UniqueId.Id))
                {
                    wanted.Remove(parsed);
                }
            }
        }
    }

    private static string? MessageIdOf(IMessageSummary summary) =>
        summary.Headers?[HeaderId.MessageId] is { } raw ? MimeUtils.ParseMessageId(raw) ?? raw.Trim().Trim('<', '>') : null;

    /// <summary>Letters, digits and . - _ @: the characters the full-text index keeps whole in a Message-ID.</summary>
    private static bool IsPlain(string messageId) =>
        messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@');

    /// <summary>Records an exact match; with duplicates of one Message-ID in a folder, the newest (highest UID) wins.</summary>
    private static bool Keep(Dictionary<string, uint> found, HashSet<string> wanted, string? messageId, uint uid)
    {
        if (messageId is null || !wanted.Contains(messageId))
        {
            return false;
        }

        if (!found.TryGetValue(messageId, out var existing) || uid > existing)
        {
            found[messageId] = uid;
        }

        return true;
    }
}

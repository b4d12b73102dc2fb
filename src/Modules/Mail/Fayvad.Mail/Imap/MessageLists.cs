using Fayvad.Mail.Contracts;
using MailKit;
using MailKit.Search;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>The fetch plan shared by list and search: summaries for one page, bodies only when asked.</summary>
internal static class MessageLists
{
    /// <summary>
    /// Matching UIDs newest first, in order of arrival into the folder: UIDs are assigned ascending as messages arrive
    /// (RFC 3501 2.3.1.1), so this needs no SORT, and it has no ties (SORT ARRIVAL breaks same-second ties ascending).
    /// </summary>
    public static async Task<IList<UniqueId>> NewestFirstAsync(IMailFolder folder, SearchQuery query, CancellationToken cancellationToken)
    {
        var uids = await folder.SearchAsync(query, cancellationToken);
        return uids.OrderByDescending(u => u.Id).ToList();
    }

    /// <summary>Only what changes: a cached message needs nothing else (<see cref="MessageCache"/>).</summary>
    private static readonly FetchRequest FlagsRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    /// <summary>
    /// One page of a whole folder, newest arrival first, fetched by sequence range: sequence order is arrival order,
    /// so a page costs one FETCH whatever the folder's size. With a cache, that FETCH asks only for UID and FLAGS, and
    /// only the messages not cached yet are fetched whole (summary items, and bodies when asked).
    /// </summary>
    public static async Task<List<MessageDto>> FetchPageAsync(
        IMailFolder folder, int skip, int limit, bool includeBodies, MailboxCache? cache, CancellationToken cancellationToken)
    {
        var last = folder.Count - 1 - skip;
        if (last < 0)
        {
            return [];
        }

        var first = Math.Max(0, last - limit + 1);
        if (cache is { } cached)
        {
            var flags = await folder.FetchAsync(first, last, FlagsRequest, cancellationToken);
            return await MapCachedAsync(folder, flags.OrderByDescending(s => s.UniqueId.Id).ToList(), includeBodies, cached, cancellationToken);
        }

        var fetched = await TolerantFetch.FetchAsync(folder, first, last, MessageMapper.SummaryRequest(), cancellationToken);
        return await MapAsync(folder, fetched.Summaries.OrderByDescending(s => s.UniqueId.Id).ToList(), fetched, includeBodies, cancellationToken);
    }

    /// <summary>Fetches the given UIDs of an open folder and maps them in the order given.</summary>
    public static async Task<List<MessageDto>> FetchAsync(
        IMailFolder folder, IList<UniqueId> uids, bool includeBodies, MailboxCache? cache, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
        {
            return [];
        }

        var fetched = cache is null
            ? await TolerantFetch.FetchAsync(folder, uids, MessageMapper.SummaryRequest(), cancellationToken)
            : new FetchedSummaries(await folder.FetchAsync(uids, FlagsRequest, cancellationToken));
        var byUid = fetched.Summaries.ToDictionary(s => s.UniqueId.Id);
        // A message expunged between SEARCH and FETCH is simply left out.
        var ordered = uids.Where(u => byUid.ContainsKey(u.Id)).Select(u => byUid[u.Id]).ToList();
        return cache is { } cached
            ? await MapCachedAsync(folder, ordered, includeBodies, cached, cancellationToken)
            : await MapAsync(folder, ordered, fetched, includeBodies, cancellationToken);
    }

    /// <summary>Cached rows with their fresh flags; what is not cached yet is fetched, mapped and cached first.</summary>
    private static async Task<List<MessageDto>> MapCachedAsync(
        IMailFolder folder, List<IMessageSummary> flagged, bool includeBodies, MailboxCache cache, CancellationToken cancellationToken)
    {
        var rows = new CachedSummary?[flagged.Count];
        var bodies = new CachedBodies?[flagged.Count];
        var missing = new List<UniqueId>();
        var index = new Dictionary<uint, int>(flagged.Count);
        for (var i = 0; i < flagged.Count; i++)
        {
            var uid = flagged[i].UniqueId.Id;
            index[uid] = i;
            var hit = cache.TryGet<CachedSummary>(folder, uid, CachedKind.Summary, out var row);
            rows[i] = hit ? row : null;
            if (includeBodies)
            {
                var bodyHit = cache.TryGet<CachedBodies>(folder, uid, CachedKind.ListBodies, out var body);
                bodies[i] = bodyHit ? body : null;
                hit &= bodyHit;
            }

            if (!hit)
            {
                missing.Add(flagged[i].UniqueId);
            }
        }

        if (missing.Count > 0)
        {
            var fetched = await TolerantFetch.FetchAsync(folder, missing, MessageMapper.SummaryRequest(), cancellationToken);
            var full = fetched.Summaries.ToList();
            var unparsed = new HashSet<uint>();
            var (sources, loaded) = await ReadAsync(folder, full, fetched, includeBodies, unparsed, cancellationToken);
            foreach (var summary in full)
            {
                var uid = summary.UniqueId.Id;
                if (!index.TryGetValue(uid, out var i))
                {
                    continue;
                }

                // A row the server refused is not cached: it may give it whole next time. One read with a lesser plan is.
                var whole = !fetched.Degraded.Contains(uid);
                var row = new CachedSummary(
                    MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, null, null, sources.GetValueOrDefault(uid).Attachments) with { IsRead = false, IsStarred = false, ParseError = fetched.Flawed(uid) },
                    summary.PreviewText);
                if (whole)
                {
                    cache.Set(folder, uid, row);
                }

                rows[i] = row;
                if (loaded is not null)
                {
                    var (text, html) = loaded.GetValueOrDefault(uid);
                    var body = new CachedBodies(text, html is null ? null : HtmlCleaner.Clean(html).Html, unparsed.Contains(uid) || fetched.Flawed(uid), loaded.GetValueOrDefault(uid).Truncated);
                    if (whole)
                    {
                        cache.Set(folder, uid, body);
                    }

                    bodies[i] = body;
                }
            }
        }

        var result = new List<MessageDto>(flagged.Count);
        for (var i = 0; i < flagged.Count; i++)
        {
            // Expunged between the two FETCHes: left out, as a listing racing with an expunge would.
            if (rows[i] is not { } row)
            {
                continue;
            }

            var flags = flagged[i].Flags ?? MessageFlags.None;
            var dto = row.Message with { IsRead = flags.HasFlag(MessageFlags.Seen), IsStarred = flags.HasFlag(MessageFlags.Flagged) };
            if (includeBodies && bodies[i] is { } body)
            {
                dto = dto with
                {
                    BodyText = body.Text ?? "",
                    BodyHtml = body.Html,
                    Snippet = MessageMapper.Snippet(row.Preview, body.Text),
                    ParseError = body.ParseError || row.Message.ParseError,
                    BodyTruncated = body.Truncated,
                };
            }

            result.Add(dto);
        }

        return result;
    }

    private static async Task<List<MessageDto>> MapAsync(
        IMailFolder folder, List<IMessageSummary> summaries, FetchedSummaries fetched, bool includeBodies, CancellationToken cancellationToken)
    {
        var unparsed = new HashSet<uint>();
        var (sources, bodies) = await ReadAsync(folder, summaries, fetched, includeBodies, unparsed, cancellationToken);
        var result = new List<MessageDto>(summaries.Count);
        foreach (var summary in summaries)
        {
            string? text = null, html = null;
            var truncated = false;
            if (bodies is not null && bodies.TryGetValue(summary.UniqueId.Id, out var body))
            {
                truncated = body.Truncated;
                text = body.Text;
                html = body.Html is null ? null : HtmlCleaner.Clean(body.Html).Html;
            }

            result.Add(MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, text, html, sources.GetValueOrDefault(summary.UniqueId.Id).Attachments) with { ParseError = unparsed.Contains(summary.UniqueId.Id) || fetched.Flawed(summary.UniqueId.Id), BodyTruncated = truncated });
        }

        return result;
    }

    /// <summary>
    /// The structure read from the source for the few messages whose server structure is unusable, and the bodies (when
    /// asked for) of all: from that source, else loaded by <see cref="BodyLoader"/>. A degraded message is asked for
    /// nothing more: a second failed FETCH of it would end the connection.
    /// </summary>
    private static async Task<(Dictionary<uint, (IReadOnlyList<AttachmentDto> Attachments, LoadedBody Body)> Sources, Dictionary<uint, LoadedBody>? Bodies)> ReadAsync(
        IMailFolder folder, IReadOnlyCollection<IMessageSummary> summaries, FetchedSummaries fetched, bool includeBodies, ISet<uint> unparsed, CancellationToken cancellationToken)
    {
        var whole = summaries.Where(m => !fetched.Degraded.Contains(m.UniqueId.Id)).ToList();
        var sources = await SourceStructure.ReadAsync(folder, whole, cancellationToken);
        if (!includeBodies)
        {
            return (sources, null);
        }

        var bodies = new Dictionary<uint, LoadedBody>(await BodyLoader.LoadAsync(folder, whole.Where(m => !sources.ContainsKey(m.UniqueId.Id)).ToList(), cancellationToken, unparsed));
        foreach (var (uid, source) in sources)
        {
            bodies[uid] = source.Body;
        }

        return (sources, bodies);
    }
}

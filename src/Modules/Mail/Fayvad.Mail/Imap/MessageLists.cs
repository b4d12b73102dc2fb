using MailKit;
using MailKit.Net.Imap;
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

    /// <summary>By the Date header, newest first, sorted by the server (SORT, RFC 5256) where it can.</summary>
    public static async Task<IList<UniqueId>> NewestSentFirstAsync(ImapClient client, IMailFolder folder, SearchQuery query, CancellationToken cancellationToken) =>
        client.Capabilities.HasFlag(ImapCapabilities.Sort)
            ? await folder.SortAsync(query, [OrderBy.ReverseDate], cancellationToken)
            : await NewestFirstAsync(folder, query, cancellationToken);

    /// <summary>
    /// One page of a whole folder, newest arrival first, fetched by sequence range: sequence order is arrival order,
    /// so a page costs one FETCH whatever the folder's size.
    /// </summary>
    public static async Task<List<MessageDto>> FetchPageAsync(IMailFolder folder, int skip, int limit, bool includeBodies, CancellationToken cancellationToken)
    {
        var last = folder.Count - 1 - skip;
        if (last < 0)
        {
            return [];
        }

        var first = Math.Max(0, last - limit + 1);
        var summaries = await folder.FetchAsync(first, last, MessageMapper.SummaryRequest(), cancellationToken);
        return await MapAsync(folder, summaries.OrderByDescending(s => s.UniqueId.Id).ToList(), includeBodies, cancellationToken);
    }

    /// <summary>Fetches the given UIDs of an open folder and maps them in the order given.</summary>
    public static async Task<List<MessageDto>> FetchAsync(
        IMailFolder folder, IList<UniqueId> uids, bool includeBodies, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
        {
            return [];
        }

        var summaries = await folder.FetchAsync(uids, MessageMapper.SummaryRequest(), cancellationToken);
        var byUid = summaries.ToDictionary(s => s.UniqueId.Id);
        // A message expunged between SEARCH and FETCH is simply left out.
        var ordered = uids.Where(u => byUid.ContainsKey(u.Id)).Select(u => byUid[u.Id]).ToList();
        return await MapAsync(folder, ordered, includeBodies, cancellationToken);
    }

    private static async Task<List<MessageDto>> MapAsync(IMailFolder folder, List<IMessageSummary> summaries, bool includeBodies, CancellationToken cancellationToken)
    {
        var unparsed = new HashSet<uint>();
        var bodies = includeBodies ? await BodyLoader.LoadAsync(folder, summaries, cancellationToken, unparsed) : null;
        var result = new List<MessageDto>(summaries.Count);
        foreach (var summary in summaries)
        {
            string? text = null, html = null;
            if (bodies is not null && bodies.TryGetValue(summary.UniqueId.Id, out var body))
            {
                text = body.Text;
                html = body.Html is null ? null : HtmlCleaner.Clean(body.Html).Html;
            }

            result.Add(MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, text, html) with { ParseError = unparsed.Contains(summary.UniqueId.Id) });
        }

        return result;
    }
}

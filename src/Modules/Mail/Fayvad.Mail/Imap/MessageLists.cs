using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Fayvad.Mail.Mime;

namespace Fayvad.Mail.Imap;

/// <summary>The fetch plan shared by list and search: summaries for one page, bodies only when asked.</summary>
internal static class MessageLists
{
    /// <summary>UIDs newest first: server-side SORT (REVERSE ARRIVAL) where the server has it, else UID order reversed.</summary>
    public static async Task<IList<UniqueId>> NewestFirstAsync(ImapClient client, IMailFolder folder, SearchQuery query, CancellationToken cancellationToken)
    {
        if (client.Capabilities.HasFlag(ImapCapabilities.Sort))
        {
            return await folder.SortAsync(query, [OrderBy.ReverseArrival], cancellationToken);
        }

        var uids = await folder.SearchAsync(query, cancellationToken);
        return uids.Reverse().ToList();
    }

    /// <summary>Fetches the given UIDs of an open folder and maps them in the order given.</summary>
    public static async Task<List<MessageDto>> FetchAsync(
        IMailFolder folder, IList<UniqueId> uids, bool includeBodies, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
        {
            return [];
        }

        var summaries = await folder.FetchAsync(uids, new FetchRequest(MessageMapper.SummaryItems), cancellationToken);
        var byUid = summaries.ToDictionary(s => s.UniqueId.Id);
        var result = new List<MessageDto>(uids.Count);
        foreach (var uid in uids)
        {
            // A message expunged between SORT and FETCH is simply left out.
            if (!byUid.TryGetValue(uid.Id, out var summary))
            {
                continue;
            }

            string? text = null, html = null;
            if (includeBodies)
            {
                (text, html) = await BodyLoader.LoadAsync(folder, summary, cancellationToken);
                html = html is null ? null : HtmlCleaner.Clean(html).Html;
            }

            result.Add(MessageMapper.ToDto(summary, folder.FullName, folder.UidValidity, text, html));
        }

        return result;
    }
}

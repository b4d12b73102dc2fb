using Ganss.Xss;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MimeKit;

namespace Fayvad.Bench;

/// <summary>
/// Raw MailKit doing the IMAP work each API endpoint does, command for command, on one already-open, authenticated, warm
/// connection (the API's pooled connection, minus the pool). Read against src/Modules/Mail/Fayvad.Mail:
/// Imap/MessageLists.cs, Imap/BodyLoader.cs, Imap/Folders.cs, Features/GetMessages, GetMessage, ListFolders, Search.
/// What it leaves out is the API's own work: HTTP, the token check, mapping to DTOs, HTML sanitizing, JSON.
/// With <c>keepSelected</c> (what-if only, not what the API does) a folder that is already selected on the connection is
/// refreshed with NOOP instead of being EXAMINEd again.
/// </summary>
internal sealed class Baseline : IAsyncDisposable
{
    private readonly StackEnv _env;
    private readonly string _mailbox;
    private readonly int _pageSize;
    private readonly bool _keepSelected;
    private readonly string? _protocolLog;
    private ImapClient _client;

    private Baseline(StackEnv env, string mailbox, int pageSize, bool keepSelected, string? protocolLog, ImapClient client)
    {
        _env = env;
        _mailbox = mailbox;
        _pageSize = pageSize;
        _keepSelected = keepSelected;
        _protocolLog = protocolLog;
        _client = client;
    }

    public ImapClient Client => _client;

    /// <summary>How often the connection was lost and opened again (e.g. someone killed Dovecot's imap processes).</summary>
    public int Reconnects { get; private set; }

    public static async Task<Baseline> OpenAsync(StackEnv env, string mailbox, int pageSize, CancellationToken ct, bool keepSelected = false, string? protocolLog = null) =>
        new(env, mailbox, pageSize, keepSelected, protocolLog, await Imap.OpenAsync(env, mailbox, ct, protocolLog));

    public static bool IsConnectionFault(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ImapProtocolException or ServiceNotConnectedException
            or ServiceNotAuthenticatedException;

    /// <summary>A fresh, authenticated connection in place of one that failed.</summary>
    public async Task ReconnectAsync(CancellationToken ct)
    {
        _client.Dispose();
        Reconnects++;
        _client = await Imap.OpenAsync(_env, _mailbox, ct, _protocolLog is null ? null : _protocolLog + "." + Reconnects);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(true);
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // Gone already.
        }

        _client.Dispose();
    }

    /// <summary>= Fayvad.Mail.Mime.MessageMapper.SummaryItems: ENVELOPE FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE PREVIEW (+UID).</summary>
    public const MessageSummaryItems SummaryItems =
        MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Flags
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.BodyStructure
        | MessageSummaryItems.PreviewText;

    /// <summary>= GetMessageHandler.DetailItems (adds BODY.PEEK[HEADER.FIELDS (REFERENCES)]).</summary>
    private const MessageSummaryItems DetailItems = SummaryItems | MessageSummaryItems.References;

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    /// <summary>
    /// GET /email/messages/?folder=INBOX&amp;page=P&amp;limit=L[&amp;include_body=false]: EXAMINE INBOX (Folders.EnsureOpenAsync,
    /// every request), FETCH first:last (SummaryItems) by sequence range, then per message BODY.PEEK[text part] and
    /// BODY.PEEK[html part] (BodyLoader: one UID FETCH per part) when bodies are asked for.
    /// </summary>
    public async Task<long> ListAsync(int page, bool bodies, CancellationToken ct, bool sanitize = false)
    {
        var inbox = _client.Inbox;
        await OpenAsync(inbox, ct);
        var last = inbox.Count - 1 - ((page - 1) * _pageSize);
        if (last < 0)
        {
            return 0;
        }

        var first = Math.Max(0, last - _pageSize + 1);
        var summaries = await inbox.FetchAsync(first, last, new FetchRequest(SummaryItems), ct);
        var ordered = summaries.OrderByDescending(s => s.UniqueId.Id).ToList();
        long chars = ordered.Count;
        if (bodies)
        {
            foreach (var summary in ordered)
            {
                var (text, html) = await LoadBodiesAsync(inbox, summary, ct);
                if (sanitize && html is not null)
                {
                    html = Sanitizer.Sanitize(html);
                }

                chars += (text?.Length ?? 0) + (html?.Length ?? 0);
            }
        }

        return chars;
    }

    /// <summary>
    /// What-if, not what the API does: the same page with bodies in two round trips, FETCH summaries then one
    /// UID FETCH BODY.PEEK[] of all the page's messages (whole messages, attachments included) parsed by MimeKit.
    /// </summary>
    public async Task<long> ListWholeMessagesAsync(int page, CancellationToken ct)
    {
        var inbox = _client.Inbox;
        await OpenAsync(inbox, ct);
        var last = inbox.Count - 1 - ((page - 1) * _pageSize);
        var first = Math.Max(0, last - _pageSize + 1);
        var summaries = await inbox.FetchAsync(first, last, new FetchRequest(SummaryItems), ct);
        long chars = 0;
        await ((ImapFolder)inbox).GetStreamsAsync(summaries.Select(s => s.UniqueId).ToList(), async (_, _, _, stream, token) =>
        {
            using var message = await MimeMessage.LoadAsync(stream, token);
            chars += (message.TextBody?.Length ?? 0) + (message.HtmlBody?.Length ?? 0);
        }, ct);
        return chars;
    }

    /// <summary>GET /email/folders/: one LIST "" "*" RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES UNSEEN)) (LIST-STATUS).</summary>
    public async Task<long> FoldersAsync(CancellationToken ct)
    {
        var folders = await _client.GetFoldersAsync(_client.PersonalNamespaces[0], StatusItems.Count | StatusItems.Unread, false, ct);
        return folders.Count(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent) && !f.Attributes.HasFlag(FolderAttributes.NoSelect));
    }

    /// <summary>
    /// GET /email/messages/{id}/: EXAMINE INBOX (RunOnMessageAsync -> MessageResolver), UID FETCH uid (DetailItems), then
    /// BODY.PEEK of the text and HTML parts (BodyLoader).
    /// </summary>
    public async Task<long> GetMessageAsync(uint uid, CancellationToken ct)
    {
        var inbox = _client.Inbox;
        await OpenAsync(inbox, ct);
        var summary = (await inbox.FetchAsync([new UniqueId(inbox.UidValidity, uid)], new FetchRequest(DetailItems), ct)).Single();
        var (text, html) = await LoadBodiesAsync(inbox, summary, ct);
        return (text?.Length ?? 0) + (html?.Length ?? 0);
    }

    /// <summary>
    /// GET /email/search/?query=W&amp;folder=INBOX&amp;include_body=false: EXAMINE, UID SEARCH TEXT W (Dovecot answers from
    /// fts-xapian), newest first, then EXAMINE again (the handler re-opens each folder of the page) and UID FETCH of the page.
    /// </summary>
    public async Task<long> SearchInboxAsync(string word, CancellationToken ct)
    {
        var criteria = SearchQuery.All.And(SearchQuery.MessageContains(word));
        var inbox = _client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        var uids = (await inbox.SearchAsync(criteria, ct)).OrderByDescending(u => u.Id).ToList();
        var page = uids.Take(_pageSize).ToList();
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        return await FetchInOrderAsync(inbox, page, ct);
    }

    /// <summary>
    /// GET /email/search/?query=W&amp;include_body=false (no folder, the API's default): LIST of every folder, then per
    /// folder EXAMINE + UID SEARCH + (when it has hits) UID FETCH INTERNALDATE of every hit, merge newest first, then per
    /// folder of the page EXAMINE + UID FETCH.
    /// </summary>
    public async Task<long> SearchAllFoldersAsync(string word, CancellationToken ct)
    {
        var criteria = SearchQuery.All.And(SearchQuery.MessageContains(word));
        var folders = (await _client.GetFoldersAsync(_client.PersonalNamespaces[0], false, ct))
            .Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent))
            .ToList();
        var hits = new List<(IMailFolder Folder, UniqueId Uid, DateTimeOffset Arrived)>();
        foreach (var folder in folders)
        {
            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            var uids = await folder.SearchAsync(criteria, ct);
            if (uids.Count == 0)
            {
                continue;
            }

            var dates = await folder.FetchAsync(uids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate), ct);
            hits.AddRange(dates.Select(d => (folder, d.UniqueId, d.InternalDate ?? DateTimeOffset.MinValue)));
        }

        var page = hits.OrderByDescending(h => h.Arrived).ThenByDescending(h => h.Uid.Id).Take(_pageSize).ToList();
        long count = 0;
        foreach (var group in page.GroupBy(h => h.Folder))
        {
            await group.Key.OpenAsync(FolderAccess.ReadOnly, ct);
            count += await FetchInOrderAsync(group.Key, group.Select(h => h.Uid).ToList(), ct);
        }

        return count;
    }

    /// <summary>= Folders.EnsureOpenAsync (EXAMINE every time), or with keepSelected a NOOP when the folder is already open.</summary>
    private async Task OpenAsync(IMailFolder folder, CancellationToken ct)
    {
        if (_keepSelected && folder.IsOpen)
        {
            await _client.NoOpAsync(ct);
            return;
        }

        await folder.OpenAsync(FolderAccess.ReadOnly, ct);
    }

    private static async Task<long> FetchInOrderAsync(IMailFolder folder, List<UniqueId> uids, CancellationToken ct)
    {
        if (uids.Count == 0)
        {
            return 0;
        }

        var summaries = await folder.FetchAsync(uids, new FetchRequest(SummaryItems), ct);
        var byUid = summaries.ToDictionary(s => s.UniqueId.Id);
        return uids.Count(u => byUid.ContainsKey(u.Id));
    }

    /// <summary>= BodyLoader.LoadAsync: one UID FETCH BODY.PEEK[part] for the text part, one for the HTML part.</summary>
    private static async Task<(string? Text, string? Html)> LoadBodiesAsync(IMailFolder folder, IMessageSummary summary, CancellationToken ct)
    {
        var text = summary.TextBody is { } textPart ? await ReadAsync(folder, summary.UniqueId, textPart, ct) : null;
        var html = summary.HtmlBody is { } htmlPart ? await ReadAsync(folder, summary.UniqueId, htmlPart, ct) : null;
        return (text, html);
    }

    private static async Task<string?> ReadAsync(IMailFolder folder, UniqueId uid, BodyPartText part, CancellationToken ct)
    {
        var entity = await folder.GetBodyPartAsync(uid, part, ct);
        return entity is TextPart text ? text.Text : null;
    }

    /// <summary>= Fayvad.Mail.Mime.HtmlCleaner's sanitizer settings.</summary>
    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Add("cid");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedSchemes.Add("data");
        sanitizer.AllowedTags.Remove("form");
        sanitizer.AllowedAttributes.Add("class");
        return sanitizer;
    }
}

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
/// The Best* methods are issue #12's baseline: the best raw plan for the same user-visible work (folder kept selected and
/// refreshed by NOOP, only the fetch items shown, bodies parsed and sanitized), on a connection of their own.
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

    /// <summary>= MessageMapper.SummaryRequest: the items above plus BODY.PEEK[HEADER.FIELDS (SUBJECT FROM SENDER DATE)].</summary>
    private static FetchRequest ApiRequest(MessageSummaryItems items) =>
        new(items) { Headers = new HeaderSet([HeaderId.Subject, HeaderId.From, HeaderId.Sender, HeaderId.Date]) };

    /// <summary>= BodyLoader.WholeMessageLimit: smaller messages come whole in one UID FETCH BODY.PEEK[] for the page.</summary>
    private const uint WholeMessageLimit = 256 * 1024;

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    /// <summary>
    /// GET /email/messages/?folder=INBOX&amp;page=P&amp;limit=L[&amp;include_body=false], the API's plan before issue #12:
    /// EXAMINE INBOX (Folders.EnsureOpenAsync, every request), FETCH first:last (SummaryItems + the raw Subject/From/Sender/Date
    /// fields) by sequence range, then, when bodies are asked for, BodyLoader's plan: one UID FETCH BODY.PEEK[] of the
    /// page's messages up to 256 KB, parsed by MimeKit (larger ones part by part). No sanitizing (see BestListAsync).
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
        var summaries = await inbox.FetchAsync(first, last, ApiRequest(SummaryItems), ct);
        var ordered = summaries.OrderByDescending(s => s.UniqueId.Id).ToList();
        long chars = ordered.Count;
        if (bodies)
        {
            chars += await LoadPageBodiesAsync(inbox, ordered, sanitize, ct);
        }

        return chars;
    }

    /// <summary>
    /// The best raw plan for the same page (issue #12's baseline): INBOX kept selected (NOOP, so another client's append or
    /// expunge is seen), FETCH first:last of only the items the list shows (no extra header fields); with bodies, one
    /// UID FETCH BODY.PEEK[] of the page's messages up to 256 KB parsed by MimeKit, and HtmlSanitizer on each HTML body
    /// (what a client showing mail must do).
    /// </summary>
    public async Task<long> BestListAsync(int page, bool bodies, CancellationToken ct)
    {
        var inbox = _client.Inbox;
        await KeepOpenAsync(inbox, ct);
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
            chars += await LoadPageBodiesAsync(inbox, ordered, sanitize: true, ct);
        }

        return chars;
    }

    /// <summary>= BodyLoader.LoadAsync: small messages whole in one UID FETCH BODY.PEEK[], the rest part by part.</summary>
    private static async Task<long> LoadPageBodiesAsync(IMailFolder folder, List<IMessageSummary> summaries, bool sanitize, CancellationToken ct)
    {
        long chars = 0;
        var withText = summaries.Where(s => s.TextBody is not null || s.HtmlBody is not null).ToList();
        var whole = withText.Where(s => s.Size is <= WholeMessageLimit).Select(s => s.UniqueId).ToList();
        if (whole.Count > 0)
        {
            await ((ImapFolder)folder).GetStreamsAsync(whole, async (_, _, _, stream, token) =>
            {
                using var message = await MimeMessage.LoadAsync(stream, token);
                var html = message.HtmlBody;
                if (sanitize && html is not null)
                {
                    html = Sanitizer.Sanitize(html);
                }

                chars += (message.TextBody?.Length ?? 0) + (html?.Length ?? 0);
            }, ct);
        }

        foreach (var summary in withText.Where(s => s.Size is not <= WholeMessageLimit))
        {
            var (text, html) = await LoadBodiesAsync(folder, summary, ct);
            if (sanitize && html is not null)
            {
                html = Sanitizer.Sanitize(html);
            }

            chars += (text?.Length ?? 0) + (html?.Length ?? 0);
        }

        return chars;
    }

    /// <summary>
    /// GET /email/folders/, the API's plan: one LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN UIDVALIDITY UIDNEXT
    /// HIGHESTMODSEQ)) (LIST-STATUS; the last three make each folder's sync state).
    /// </summary>
    public async Task<long> FoldersAsync(CancellationToken ct)
    {
        var folders = await _client.GetFoldersAsync(_client.PersonalNamespaces[0],
            StatusItems.Count | StatusItems.Unread | StatusItems.UidValidity | StatusItems.UidNext | StatusItems.HighestModSeq, false, ct);
        return folders.Count(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent) && !f.Attributes.HasFlag(FolderAttributes.NoSelect));
    }

    /// <summary>Folders with counts, the best raw plan: one LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN)).</summary>
    public async Task<long> BestFoldersAsync(CancellationToken ct)
    {
        var folders = await _client.GetFoldersAsync(_client.PersonalNamespaces[0], StatusItems.Count | StatusItems.Unread, false, ct);
        return folders.Count(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent) && !f.Attributes.HasFlag(FolderAttributes.NoSelect));
    }

    /// <summary>
    /// GET /email/messages/{id}/, the API's plan before issue #12: EXAMINE INBOX (RunOnMessageAsync -> MessageResolver),
    /// UID FETCH uid (DetailItems + the raw header fields), then BodyLoader: UID FETCH BODY.PEEK[] of the message (up to
    /// 256 KB) parsed by MimeKit. No sanitizing.
    /// </summary>
    public async Task<long> GetMessageAsync(uint uid, CancellationToken ct)
    {
        var inbox = _client.Inbox;
        await OpenAsync(inbox, ct);
        var summary = (await inbox.FetchAsync([new UniqueId(inbox.UidValidity, uid)], ApiRequest(DetailItems), ct)).Single();
        return await LoadPageBodiesAsync(inbox, [summary], sanitize: false, ct);
    }

    /// <summary>
    /// Open one message, the best raw plan: INBOX kept selected (NOOP), UID FETCH uid (FLAGS INTERNALDATE RFC822.SIZE, what
    /// the message itself does not say), UID FETCH uid BODY.PEEK[] parsed by MimeKit (headers, bodies and the attachment
    /// list all come from it), HtmlSanitizer on the HTML body.
    /// </summary>
    public async Task<long> BestGetMessageAsync(uint uid, CancellationToken ct)
    {
        var inbox = _client.Inbox;
        await KeepOpenAsync(inbox, ct);
        var id = new UniqueId(inbox.UidValidity, uid);
        var flags = (await inbox.FetchAsync([id], new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags
            | MessageSummaryItems.InternalDate | MessageSummaryItems.Size), ct)).Single();
        using var message = await inbox.GetMessageAsync(id, ct);
        var html = message.HtmlBody is { } raw ? Sanitizer.Sanitize(raw) : null;
        return (message.TextBody?.Length ?? 0) + (html?.Length ?? 0) + message.Attachments.Count() + (flags.Flags is null ? 0 : 1);
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

    /// <summary>= Folders.EnsureOpenAsync before issue #12 (EXAMINE every time), or with keepSelected the best plan's NOOP.</summary>
    private async Task OpenAsync(IMailFolder folder, CancellationToken ct)
    {
        if (_keepSelected)
        {
            await KeepOpenAsync(folder, ct);
            return;
        }

        await folder.OpenAsync(FolderAccess.ReadOnly, ct);
    }

    /// <summary>The folder stays selected; a NOOP brings what changed since (EXISTS, EXPUNGE, FETCH FLAGS).</summary>
    private async Task KeepOpenAsync(IMailFolder folder, CancellationToken ct)
    {
        if (folder.IsOpen)
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

using Fayvad.Mail.Contracts;
using Fayvad.Mail.Mime;
using MailKit;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Imap;

/// <summary>
/// What is read from a stored message and never changes while its UID lives (RFC 3501 2.3.1.1: a UID with the same
/// UIDVALIDITY always names the same content): the mapped summary, the parsed and sanitized bodies and the detail view
/// with its attachment table. Keyed by (mailbox, folder, UIDVALIDITY, UID), so one user's message is never served to
/// another and a recreated folder (new UIDVALIDITY) never meets its old entries. Flags change and are never cached: every
/// read fetches them. Bounded by an estimate of the bytes held (<see cref="CacheOptions.MessageCacheMegabytes"/>);
/// least recently used entries go first. docs/adr/0020.
/// </summary>
internal sealed class MessageCache : IDisposable
{
    private readonly MemoryCache? _cache;

    public MessageCache(IOptions<MailOptions> options)
    {
        var megabytes = options.Value.Cache.MessageCacheMegabytes;
        _cache = megabytes <= 0 ? null : new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = megabytes * 1024L * 1024L,
            CompactionPercentage = 0.25,
            ExpirationScanFrequency = TimeSpan.FromMinutes(5),
        });
    }

    /// <summary>The cache as seen from one mailbox: every key carries it.</summary>
    public MailboxCache? For(string? mailbox) =>
        _cache is null || string.IsNullOrEmpty(mailbox) ? null : new MailboxCache(this, mailbox.ToLowerInvariant());

    internal bool TryGet<T>(in MessageKey key, out T value)
        where T : class
    {
        if (_cache!.TryGetValue(key, out var found) && found is T typed)
        {
            value = typed;
            return true;
        }

        value = null!;
        return false;
    }

    internal void Set<T>(in MessageKey key, T value, long bytes)
        where T : class =>
        _cache!.Set(key, value, new MemoryCacheEntryOptions { Size = bytes, SlidingExpiration = TimeSpan.FromHours(1) });

    /// <summary>Entries held now (for tests and diagnostics).</summary>
    public long Count => _cache?.Count ?? 0;

    public void Dispose() => _cache?.Dispose();
}

internal enum CachedKind : byte
{
    Summary,
    ListBodies,
    Detail,
}

internal readonly record struct MessageKey(string Mailbox, string Folder, uint UidValidity, uint Uid, CachedKind Kind);

/// <summary>A list row without its flags, and the PREVIEW its snippet came from (a row with bodies may take the snippet from the text).</summary>
internal sealed record CachedSummary(MessageDto Message, string? Preview);

/// <summary>A list row's bodies: the text, the sanitized HTML, whether MimeKit could not parse the message, and whether a body is only its start.</summary>
internal sealed record CachedBodies(string? Text, string? Html, bool ParseError, bool Truncated = false);

/// <summary><see cref="MessageCache"/> for one mailbox's messages.</summary>
internal readonly struct MailboxCache(MessageCache cache, string mailbox)
{
    public bool TryGet<T>(IMailFolder folder, uint uid, CachedKind kind, out T value)
        where T : class =>
        cache.TryGet(new MessageKey(mailbox, folder.FullName, folder.UidValidity, uid, kind), out value);

    public void Set(IMailFolder folder, uint uid, CachedSummary value) =>
        cache.Set(Key(folder, uid, CachedKind.Summary), value, Size(value.Message) + Chars(value.Preview));

    public void Set(IMailFolder folder, uint uid, CachedBodies value) =>
        cache.Set(Key(folder, uid, CachedKind.ListBodies), value, Overhead + Chars(value.Text) + Chars(value.Html));

    public void Set(IMailFolder folder, uint uid, MessageDetailDto value) =>
        cache.Set(Key(folder, uid, CachedKind.Detail), value, Size(value)
            + value.References.Sum(Chars) + value.ReplyTo.Sum(Chars) + Chars(value.InReplyTo)
            + value.Attachments.Sum(a => Overhead + Chars(a.Id) + Chars(a.Filename) + Chars(a.ContentType) + Chars(a.ContentId)));

    private MessageKey Key(IMailFolder folder, uint uid, CachedKind kind) => new(mailbox, folder.FullName, folder.UidValidity, uid, kind);

    /// <summary>Object headers, the key and the cache entry itself, roughly.</summary>
    private const long Overhead = 256;

    private static long Chars(string? s) => s is null ? 0 : 24 + (2L * s.Length);

    private static long Size(MessageDto m) =>
        Overhead + Chars(m.Id) + Chars(m.Subject) + Chars(m.Sender) + Chars(m.SenderName) + Chars(m.FromDisplay)
        + m.ToRecipients.Sum(Chars) + m.CcRecipients.Sum(Chars) + m.BccRecipients.Sum(Chars)
        + Chars(m.BodyText) + Chars(m.BodyHtml) + Chars(m.Snippet) + Chars(m.Folder) + Chars(m.MessageId);
}

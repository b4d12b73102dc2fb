using System.Collections.Concurrent;
using Fayvad.Directory.Contracts;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Tokens;

/// <summary>A token this node validated, and who it stood for then.</summary>
internal sealed record CachedToken(long TokenId, DateTimeOffset TokenExpiresAt, DirectoryPrincipal Principal, DateTimeOffset CachedAt);

/// <summary>
/// Validated tokens by hash, so a request costs no PostgreSQL query while nothing that decides access changed
/// (docs/adr/0014). Any change (a revocation, a Directory write) empties it: on this node at once, on every node when
/// PostgreSQL's NOTIFY arrives. It is used only while <see cref="AccessChangeListener"/> is listening, so a missed
/// notification can never leave a revoked token valid; and entries live at most <see cref="TokenOptions.CacheLifetime"/>.
/// </summary>
internal sealed class TokenCache(TimeProvider clock, IOptions<TokenOptions> options) : IDirectoryAccessObserver
{
    public const string Channel = "identity_tokens_changed";

    /// <summary>Beyond this many entries the cache starts over rather than grow without bound.</summary>
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, CachedToken> _entries = new(StringComparer.Ordinal);

    // Event streams' tokens found valid, by token id, with the generation they were checked under: any change anywhere
    // moves the generation on, so the next heartbeat asks PostgreSQL again.
    private readonly ConcurrentDictionary<long, KnownSession> _sessions = new();
    private readonly TimeSpan _lifetime = options.Value.CacheLifetime;
    private long _generation;
    private volatile bool _listening;

    /// <summary>Moves on at every change; a lookup that began under an older one must not be stored.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public int Count => _entries.Count;

    public bool Enabled => _listening && _lifetime > TimeSpan.Zero;

    public CachedToken? Find(byte[] tokenHash)
    {
        if (!Enabled || !_entries.TryGetValue(Convert.ToHexString(tokenHash), out var entry))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        return entry.TokenExpiresAt > now && entry.CachedAt + _lifetime > now ? entry : null;
    }

    /// <summary>Stores what a lookup begun at <paramref name="generation"/> found, unless anything changed meanwhile.</summary>
    public void Store(byte[] tokenHash, long tokenId, DateTimeOffset tokenExpiresAt, DirectoryPrincipal principal, long generation)
    {
        if (!Enabled || Generation != generation)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        var key = Convert.ToHexString(tokenHash);
        _entries[key] = new CachedToken(tokenId, tokenExpiresAt, principal, clock.GetUtcNow());
        if (Generation != generation)
        {
            // A change landed while storing: the entry may predate it.
            _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Whether a stream's token was found valid under the current generation, within the cache lifetime.</summary>
    public bool IsKnownValid(long tokenId)
    {
        if (!Enabled || !_sessions.TryGetValue(tokenId, out var known))
        {
            return false;
        }

        var now = clock.GetUtcNow();
        return known.Generation == Generation && known.TokenExpiresAt > now && known.CheckedAt + _lifetime > now;
    }

    /// <summary>Remembers that a check begun at <paramref name="generation"/> found the token valid.</summary>
    public void RememberValid(long tokenId, DateTimeOffset tokenExpiresAt, long generation)
    {
        if (!Enabled || Generation != generation)
        {
            return;
        }

        if (_sessions.Count >= MaxEntries)
        {
            _sessions.Clear();
        }

        _sessions[tokenId] = new KnownSession(generation, tokenExpiresAt, clock.GetUtcNow());
    }

    /// <summary>Forgets everything: something that decides access may have changed.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        _sessions.Clear();
    }

    public void AccessMayHaveChanged() => Clear();

    /// <summary>
    /// A NOTIFY payload: "t:&lt;token id&gt;", "u:&lt;user id&gt;", "o:&lt;organization id&gt;", "d:&lt;domain&gt;"
    /// forget the entries it concerns; anything else ("*") forgets all.
    /// </summary>
    public void Forget(string payload)
    {
        Interlocked.Increment(ref _generation);
        var value = payload.Length > 2 ? payload[2..] : "";
        Func<CachedToken, bool>? concerned = payload[..Math.Min(2, payload.Length)] switch
        {
            "t:" when long.TryParse(value, out var id) => e => e.TokenId == id,
            "u:" when long.TryParse(value, out var id) => e => e.Principal.UserId == id,
            "o:" when long.TryParse(value, out var id) => e => e.Principal.OrganizationId == id,
            "d:" when value.Length > 0 => e => e.Principal.MailboxAddress?.EndsWith("@" + value, StringComparison.OrdinalIgnoreCase) == true,
            _ => null,
        };
        if (concerned is null)
        {
            _entries.Clear();
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (concerned(entry))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Set by the listener: true once LISTEN is in place, false as soon as its connection is lost.</summary>
    public void SetListening(bool listening)
    {
        Clear();
        _listening = listening;
        Clear();
    }

    private sealed record KnownSession(long Generation, DateTimeOffset TokenExpiresAt, DateTimeOffset CheckedAt);
}

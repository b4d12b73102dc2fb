using System.Collections.Concurrent;

namespace Fayvad.Mail.Imap;

/// <summary>
/// How much of a message a FETCH may ask for. A message whose data breaks the client's parser or makes the server end
/// the connection (a 200 KB Subject is one ENVELOPE literal that MailKit refuses) is asked for with less, tier by tier,
/// so that it costs only itself (docs/adr/0032).
/// </summary>
internal enum FetchTier
{
    /// <summary>Whatever the caller asked for.</summary>
    Full = 0,

    /// <summary>No ENVELOPE and no PREVIEW: the envelope is read from header fields (a stream, never a string token).</summary>
    Lean = 1,

    /// <summary>Also no BODYSTRUCTURE: UID, FLAGS, INTERNALDATE, RFC822.SIZE and the header fields.</summary>
    Bare = 2,

    /// <summary>UID and FLAGS, which the server answers from its index without reading the message.</summary>
    Minimal = 3,
}

/// <summary>
/// The messages that a fuller FETCH could not read, remembered per mailbox so that the next request asks for them with
/// the plan that worked and pays nothing to find them again. A message never changes under its UID, so what is learned
/// holds until the UIDVALIDITY changes; entries still expire, so a fault that was the network's is forgotten.
/// </summary>
internal sealed class FetchFaults(TimeProvider clock)
{
    /// <summary>How long a learned tier is trusted.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>Bound on what is remembered (messages, and folders apart); past it, the oldest half is dropped.</summary>
    internal const int Capacity = 100_000;

    private readonly ConcurrentDictionary<Key, Entry> _tiers = new();

    /// <summary>
    /// Folders with something learned in them (mailbox, path, UIDVALIDITY), with when it was last learned: a range FETCH
    /// elsewhere stays one command. A marker expires with the newest entry of its folder.
    /// </summary>
    private readonly ConcurrentDictionary<FolderKey, DateTimeOffset> _folders = new();

    private readonly ConcurrentDictionary<FolderKey, int> _suspectIndexes = new();

    private static readonly AsyncLocal<Scope?> CurrentScope = new();

    /// <summary>The faults registry and the mailbox whose pooled connection runs the current work (set by the pool).</summary>
    public static Scope? Current
    {
        get => CurrentScope.Value;
        set => CurrentScope.Value = value;
    }

    /// <summary>What a FETCH running inside the pool's work may consult and teach.</summary>
    internal sealed record Scope(FetchFaults Faults, string Mailbox)
    {
        public bool AnyIn(string folder, uint uidValidity) => Faults.AnyIn(Mailbox, folder, uidValidity);

        public FetchTier TierOf(string folder, uint uidValidity, uint uid) => Faults.TierOf(Mailbox, folder, uidValidity, uid);

        public bool Demote(string folder, uint uidValidity, uint uid, FetchTier failed) => Faults.Demote(Mailbox, folder, uidValidity, uid, failed);

        /// <summary>A range FETCH broke at a sequence number whose UID the dead connection never told.</summary>
        public void SuspectIndex(string folder, uint uidValidity, int index) => Faults.SuspectIndex(Mailbox, folder, uidValidity, index);

        /// <summary>The sequence number a broken range FETCH left for the next one to name, if any (taken once).</summary>
        public int? TakeSuspectIndex(string folder, uint uidValidity) => Faults.TakeSuspectIndex(Mailbox, folder, uidValidity);
    }

    private void SuspectIndex(string mailbox, string folder, uint uidValidity, int index)
    {
        var key = new FolderKey(mailbox.ToLowerInvariant(), folder, uidValidity);
        _suspectIndexes[key] = index;
        Mark(key);
    }

    private int? TakeSuspectIndex(string mailbox, string folder, uint uidValidity) =>
        _suspectIndexes.TryRemove(new FolderKey(mailbox.ToLowerInvariant(), folder, uidValidity), out var index) ? index : null;

    private bool AnyIn(string mailbox, string folder, uint uidValidity)
    {
        var key = new FolderKey(mailbox.ToLowerInvariant(), folder, uidValidity);
        if (!_folders.TryGetValue(key, out var learned))
        {
            return false;
        }

        if (clock.GetUtcNow() - learned > Lifetime)
        {
            // Everything learned in it has expired too.
            _folders.TryRemove(new KeyValuePair<FolderKey, DateTimeOffset>(key, learned));
            _suspectIndexes.TryRemove(key, out _);
            return false;
        }

        return true;
    }

    /// <summary>Number of folders with a marker (for tests).</summary>
    internal int FolderCount => _folders.Count;

    private void Mark(FolderKey key)
    {
        _folders[key] = clock.GetUtcNow();
        if (_folders.Count > Capacity)
        {
            foreach (var (old, _) in _folders.OrderBy(e => e.Value).Take(_folders.Count / 2).ToList())
            {
                _folders.TryRemove(old, out _);
                _suspectIndexes.TryRemove(old, out _);
            }
        }
    }

    private FetchTier TierOf(string mailbox, string folder, uint uidValidity, uint uid)
    {
        var key = new Key(mailbox.ToLowerInvariant(), folder, uidValidity, uid);
        if (!_tiers.TryGetValue(key, out var entry))
        {
            return FetchTier.Full;
        }

        if (clock.GetUtcNow() - entry.Learned > Lifetime)
        {
            _tiers.TryRemove(key, out _);
            return FetchTier.Full;
        }

        return entry.Tier;
    }

    /// <summary>The message could not be read with <paramref name="failed"/>: from now on it is asked for with the next tier.</summary>
    /// <returns>False when another request had already moved it past that tier (nothing changes).</returns>
    private bool Demote(string mailbox, string folder, uint uidValidity, uint uid, FetchTier failed)
    {
        if (failed >= FetchTier.Minimal)
        {
            return false;
        }

        var key = new Key(mailbox.ToLowerInvariant(), folder, uidValidity, uid);
        var next = new Entry(failed + 1, clock.GetUtcNow());
        var changed = false;
        _tiers.AddOrUpdate(key, _ => { changed = true; return next; }, (_, current) =>
        {
            if (current.Tier > failed)
            {
                return current;
            }

            changed = true;
            return next;
        });
        Mark(new FolderKey(key.Mailbox, folder, uidValidity));
        if (_tiers.Count > Capacity)
        {
            Trim();
        }

        return changed;
    }

    private void Trim()
    {
        foreach (var (key, _) in _tiers.OrderBy(e => e.Value.Learned).Take(_tiers.Count / 2).ToList())
        {
            _tiers.TryRemove(key, out _);
        }
    }

    private readonly record struct Key(string Mailbox, string Folder, uint UidValidity, uint Uid);

    private readonly record struct FolderKey(string Mailbox, string Folder, uint UidValidity);

    private readonly record struct Entry(FetchTier Tier, DateTimeOffset Learned);
}

/// <summary>
/// A FETCH broke on one message and took the connection with it; the message was demoted (<see cref="FetchFaults"/>),
/// so the same work on a new connection asks for it with less. The pool runs the work again.
/// </summary>
internal sealed class MessageFaultException(string message, Exception inner) : Exception(message, inner);

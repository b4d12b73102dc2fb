using Fayvad.Directory.Contracts;
using Fayvad.Identity.Tokens;
using Microsoft.Extensions.Options;

namespace Fayvad.Identity.Tests;

public sealed class TokenCacheTests
{
    private static readonly byte[] HashA = [1, 2, 3];
    private static readonly byte[] HashB = [4, 5, 6];
    private static readonly DateTimeOffset Far = DateTimeOffset.UtcNow.AddDays(1);

    private static TokenCache Listening()
    {
        var cache = new TokenCache(TimeProvider.System, Options.Create(new TokenOptions()));
        cache.SetListening(true);
        return cache;
    }

    private static DirectoryPrincipal Principal(long user, long? org = 7, string? mailbox = "a@x.test") =>
        new(user, "u" + user, UserRole.User, org, mailbox);

    [Fact]
    public void Nothing_is_cached_or_served_while_not_listening()
    {
        var cache = new TokenCache(TimeProvider.System, Options.Create(new TokenOptions()));
        cache.Store(HashA, 1, Far, Principal(10), cache.Generation);
        Assert.Null(cache.Find(HashA));

        cache.SetListening(true);
        cache.Store(HashA, 1, Far, Principal(10), cache.Generation);
        Assert.NotNull(cache.Find(HashA));

        // Losing the LISTEN connection empties it and turns it off: a missed notification cannot matter.
        cache.SetListening(false);
        Assert.Null(cache.Find(HashA));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_lookup_that_began_before_a_change_is_not_stored()
    {
        var cache = Listening();
        var generation = cache.Generation;
        cache.Forget("u:99"); // a change lands while the lookup reads PostgreSQL
        cache.Store(HashA, 1, Far, Principal(10), generation);
        Assert.Null(cache.Find(HashA));
    }

    [Fact]
    public void A_streams_token_found_valid_is_known_until_any_change_or_its_expiry()
    {
        var cache = Listening();
        cache.RememberValid(1, Far, cache.Generation);
        Assert.True(cache.IsKnownValid(1));
        Assert.False(cache.IsKnownValid(2));

        // Any change, on this node or announced by NOTIFY, sends the next heartbeat back to PostgreSQL.
        cache.Forget("u:99");
        Assert.False(cache.IsKnownValid(1));

        // A check that began before a change is not remembered.
        var generation = cache.Generation;
        cache.Forget("t:1");
        cache.RememberValid(1, Far, generation);
        Assert.False(cache.IsKnownValid(1));

        cache.RememberValid(3, DateTimeOffset.UtcNow.AddSeconds(-1), cache.Generation);
        Assert.False(cache.IsKnownValid(3));

        cache.RememberValid(4, Far, cache.Generation);
        cache.SetListening(false);
        Assert.False(cache.IsKnownValid(4));
    }

    [Theory]
    [InlineData("t:1", true, false)]
    [InlineData("u:10", true, false)]
    [InlineData("o:7", true, true)]
    [InlineData("d:x.test", true, true)]
    [InlineData("d:other.test", false, false)]
    [InlineData("u:11", false, true)]
    [InlineData("*", true, true)]
    [InlineData("garbage", true, true)]
    public void A_notification_forgets_the_entries_it_names(string payload, bool forgetsA, bool forgetsB)
    {
        var cache = Listening();
        cache.Store(HashA, 1, Far, Principal(10), cache.Generation);
        cache.Store(HashB, 2, Far, Principal(11, org: 7, mailbox: "b@x.test"), cache.Generation);

        cache.Forget(payload);

        Assert.Equal(forgetsA, cache.Find(HashA) is null);
        Assert.Equal(forgetsB, cache.Find(HashB) is null);
    }

    [Fact]
    public void An_expired_token_or_an_old_entry_is_not_served()
    {
        var cache = Listening();
        cache.Store(HashA, 1, DateTimeOffset.UtcNow.AddSeconds(-1), Principal(10), cache.Generation);
        Assert.Null(cache.Find(HashA));

        var off = new TokenCache(TimeProvider.System, Options.Create(new TokenOptions { CacheLifetime = TimeSpan.Zero }));
        off.SetListening(true);
        off.Store(HashB, 2, Far, Principal(11), off.Generation);
        Assert.Null(off.Find(HashB));
    }
}

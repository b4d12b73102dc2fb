using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Fayvad.Api.Tests.Spam;

/// <summary>The stack's spam and virus filters as the tests see them: rspamd's learned counts, the rendered maps.</summary>
public static class SpamFilter
{
    /// <summary>The GTUBE test string: every spam filter treats a message holding it as spam (public test data).</summary>
    public const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    /// <summary>
    /// The EICAR anti-virus test string (public test data every scanner detects, harmless by design), kept as hex so
    /// no scanner flags this source file.
    /// </summary>
    public static string Eicar { get; } = System.Text.Encoding.ASCII.GetString(Convert.FromHexString(
        "58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a"));

    /// <summary>
    /// How many messages rspamd's Bayes classifier has learned as spam and as ham: the counters it keeps in its Redis
    /// store (hash <c>RS</c>, <c>learns_spam</c> and <c>learns_ham</c>), which a learn updates at once. The controller's
    /// <c>rspamc stat</c> shows the same numbers, but refreshes them from Redis only every minute or so.
    /// </summary>
    public static async Task<(long Spam, long Ham)> LearnedAsync(CancellationToken ct)
    {
        async Task<long> Counter(string field)
        {
            var output = await Faults.StackProcesses.RunAsync("redis-cli", "-h", "127.0.0.1", "-p", StackSettings.Get("REDIS_PORT"), "hget", "RS", field);
            return long.TryParse(output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        }

        ct.ThrowIfCancellationRequested();
        return (await Counter("learns_spam"), await Counter("learns_ham"));
    }

    /// <summary>
    /// Sets a domain's spam settings through the API and waits until rspamd has them: the map renderer writes them
    /// within 2 s and rspamd rereads the map within about a second more (docs/adr/0035).
    /// </summary>
    public static async Task ConfigureAsync(HttpClient admin, long domainId, string domain, bool antispam, int threshold, CancellationToken ct)
    {
        var response = await admin.PatchAsJsonAsync($"{TestApi.Root}/domains/{domainId}/", new { antispam, spam_threshold = threshold }, ct);
        var body = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.Equal(antispam, body.GetProperty("antispam").GetBoolean());
        Assert.Equal(threshold, body.GetProperty("spam_threshold").GetInt32());
        var line = string.Create(CultureInfo.InvariantCulture, $"{domain} {(antispam ? 1 : 0)} {threshold}");
        var map = Path.Combine(StackSettings.Get("STACK_DIR"), "rspamd", "maps", "domains.map");
        // 30 s, not 15: on CI's saturated 2 cores the renderer's 2 s loop was seen taking 11-13 s per pass.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(map) && (await File.ReadAllLinesAsync(map, ct)).Contains(line)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{map} never got '{line}'");
            await Task.Delay(200, ct);
        }

        // rspamd looks at its map files every second (map_watch_interval 2 s, multiplier 0.5) with some jitter.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
    }
}

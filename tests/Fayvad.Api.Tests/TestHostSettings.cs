namespace Fayvad.Api.Tests;

/// <summary>
/// What every API host of the tests runs with, in-process (ApiFactory) or as its own process (HostProcess): the
/// stack's settings from .stack/api.env, then the tests' own timings. Keys in environment form (Mail__Push__Heartbeat).
/// </summary>
internal static class TestHostSettings
{
    private static readonly Dictionary<string, string> TestTimings = new(StringComparer.Ordinal)
    {
        // The tests seed their own organizations; the demo seed is the stack's (migrate).
        ["Seed__Demo"] = "false",
        ["Logging__LogLevel__Default"] = "Warning",
        // Passwords the tests set hash at bcrypt cost 4, not 10: the same {BLF-CRYPT} form Dovecot verifies, at a
        // fraction of the CPU (1,000 accounts of the alias fan-out took about two minutes of hashing on 2 cores).
        ["Directory__BcryptWorkFactor"] = "4",
        // Deletions are purged only by the nodes the deletion tests start with a short retention.
        ["Directory__Deletion__Purge"] = "false",
        // Short enough that a revoked token's stream ends, and a failing webhook is retried, within a test's patience.
        ["Mail__Push__Heartbeat"] = "00:00:02",
        // A short sweep for the lost-hint test (docs/adr/0021).
        ["Mail__Push__SweepInterval"] = "00:00:03",
        ["Mail__Webhooks__InitialBackoff"] = "00:00:01",
        // Test receivers listen on loopback; everything else not public stays refused.
        ["Mail__Webhooks__AllowedPrivateTargets__0"] = "127.0.0.0/8",
    };

    public static IReadOnlyDictionary<string, string> Common()
    {
        var all = new Dictionary<string, string>(StackSettings.ApiSettings, StringComparer.Ordinal);
        foreach (var (key, value) in TestTimings)
        {
            all[key] = value;
        }

        return all;
    }

    /// <summary>Mail__Imap__Port -> Mail:Imap:Port, for UseSetting.</summary>
    public static string ConfigurationKey(string environmentKey) => environmentKey.Replace("__", ":", StringComparison.Ordinal);
}

using System.Globalization;

namespace Fayvad.Bench;

/// <summary>Command line (<c>--iterations 200</c>) or environment (<c>BENCH_ITERATIONS=200</c>); the command line wins.</summary>
internal sealed record BenchOptions
{
    public string Mailbox { get; init; } = "bench@fayvad.com";
    public int Messages { get; init; } = 10_000;
    public int Iterations { get; init; } = 200;
    public int Warmup { get; init; } = 30;
    public int PageSize { get; init; } = 50;
    public int DeepPage { get; init; } = 150;
    public int Clients { get; init; } = 50;
    public int LoadSeconds { get; init; } = 20;
    public int LoadMailboxes { get; init; } = 3;
    public int MailKitConnections { get; init; } = 4;
    public bool SkipScenarios { get; init; }
    public bool SkipLoad { get; init; }
    public bool SeedOnly { get; init; }
    public string? StackEnvPath { get; init; }
    public string SearchWord { get; init; } = MessageFactory.SearchWord;

    /// <summary>bench@fayvad.com, bench2@fayvad.com, ...: the mailboxes of the second load run.</summary>
    public IReadOnlyList<string> AllMailboxes()
    {
        var at = Mailbox.IndexOf('@', StringComparison.Ordinal);
        return Enumerable.Range(1, SkipLoad ? 1 : LoadMailboxes)
            .Select(n => n == 1 ? Mailbox : Mailbox[..at] + n.ToString(CultureInfo.InvariantCulture) + Mailbox[at..])
            .ToList();
    }

    public static readonly string Usage = """
        Fayvad.Bench [options]          (every option also reads BENCH_<NAME> from the environment)
          --mailbox ADDR        bench mailbox (bench@fayvad.com); created through the API as the demo org admin
          --messages N          INBOX size to seed (10000); seeding is skipped when INBOX already has exactly N
          --iterations N        measured calls per scenario and side (200)
          --warmup N            unmeasured calls per scenario and side, all scenarios warmed up before any is measured (30)
          --page-size N         list/search page size (50)
          --deep-page N         page number of the deep-page scenario (150)
          --clients N           concurrent HTTP clients in the load runs (50)
          --load-seconds N      length of each load run (20)
          --load-mailboxes N    mailboxes the second load run spreads the clients over (3: bench@, bench2@, bench3@;
                                each seeded like the first); 1 skips that run
          --mailkit-connections N  connections of the raw MailKit load run (4 = the API's Mail:Imap:MaxConnectionsPerUser)
          --skip-scenarios      no API vs MailKit table
          --skip-load           no concurrency runs
          --seed-only           create/seed the mailbox and stop
          --stack-env PATH      stack.env to read (default: <repo>/.stack/stack.env)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in new[] { "mailbox", "messages", "iterations", "warmup", "page-size", "deep-page", "clients", "load-seconds", "load-mailboxes", "mailkit-connections", "stack-env" })
        {
            if (Environment.GetEnvironmentVariable("BENCH_" + name.Replace('-', '_').ToUpperInvariant()) is { Length: > 0 } value)
            {
                values[name] = value;
            }
        }

        var flags = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in new[] { "skip-scenarios", "skip-load", "seed-only" })
        {
            if (Environment.GetEnvironmentVariable("BENCH_" + name.Replace('-', '_').ToUpperInvariant()) is "1" or "true")
            {
                flags.Add(name);
            }
        }

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'\n{Usage}");
            }

            var name = arg[2..];
            if (name is "skip-scenarios" or "skip-load" or "seed-only")
            {
                flags.Add(name);
            }
            else if (i + 1 < args.Length)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"{arg} needs a value\n{Usage}");
            }
        }

        int Int(string name, int fallback) =>
            values.TryGetValue(name, out var v) ? int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

        var defaults = new BenchOptions();
        return new BenchOptions
        {
            Mailbox = values.GetValueOrDefault("mailbox", defaults.Mailbox).ToLowerInvariant(),
            Messages = Int("messages", defaults.Messages),
            Iterations = Math.Max(1, Int("iterations", defaults.Iterations)),
            Warmup = Int("warmup", defaults.Warmup),
            PageSize = Int("page-size", defaults.PageSize),
            DeepPage = Int("deep-page", defaults.DeepPage),
            Clients = Math.Max(1, Int("clients", defaults.Clients)),
            LoadSeconds = Math.Max(1, Int("load-seconds", defaults.LoadSeconds)),
            LoadMailboxes = Math.Max(1, Int("load-mailboxes", defaults.LoadMailboxes)),
            MailKitConnections = Math.Max(1, Int("mailkit-connections", defaults.MailKitConnections)),
            StackEnvPath = values.GetValueOrDefault("stack-env"),
            SkipScenarios = flags.Contains("skip-scenarios"),
            SkipLoad = flags.Contains("skip-load"),
            SeedOnly = flags.Contains("seed-only"),
        };
    }
}

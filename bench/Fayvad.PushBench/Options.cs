using System.Globalization;

namespace Fayvad.PushBench;

internal sealed class Options
{
    public string? StackEnv { get; private set; }

    /// <summary>Measured messages per latency phase (after the warm-up ones).</summary>
    public int Messages { get; private set; } = 200;

    public int Warmup { get; private set; } = 5;

    /// <summary>Pause after each message's events arrived, before the next one is sent.</summary>
    public int GapMs { get; private set; } = 100;

    /// <summary>How long one message may take to show up before it counts as missing.</summary>
    public int TimeoutSeconds { get; private set; } = 15;

    public int Streams { get; private set; } = 200;

    /// <summary>Streams are opened this many at a time...</summary>
    public int OpenConcurrency { get; private set; } = 10;

    /// <summary>...in steps of this many, with a memory sample after each step.</summary>
    public int Step { get; private set; } = 50;

    public int SettleSeconds { get; private set; } = 20;

    /// <summary>Stream counts at which memory, managed heap and idle CPU are measured (the last is always --streams).</summary>
    public IReadOnlyList<int> Checkpoints { get; private set; } = [];

    public int IdleSeconds { get; private set; } = 30;

    /// <summary>
    /// After the last checkpoint, wait up to this long for the API's IMAP pool to close the connections the streams' first
    /// passes opened (Mail:Imap:IdleTimeout, 2 min), then measure again: what idle streams cost once nothing else holds
    /// memory for them. 0 skips it.
    /// </summary>
    public int PoolIdleSeconds { get; private set; } = 240;

    /// <summary>
    /// Before "0 streams" is measured, this many streams of extra users are opened, held past one heartbeat and closed,
    /// and the pool let go: the stream paths are then compiled (tier 1), so the per-stream figures are what each further
    /// stream adds, not the process's one-time JIT. The cold figure is reported too. 0 skips it.
    /// </summary>
    public int WarmupStreams { get; private set; } = 100;

    /// <summary>After the last measurement, keep the streams open this long (for dotnet-gcdump / dotnet-trace by hand).</summary>
    public int HoldSeconds { get; private set; }

    public string Folder { get; private set; } = "BenchFolder";

    /// <summary>Phase "spread": this many APPENDs, round robin over <see cref="SpreadFolders"/> folders other than INBOX.</summary>
    public int Appends { get; private set; } = 1000;

    public int SpreadFolders { get; private set; } = 5;

    /// <summary>Pause between two APPENDs of the spread phase (they do not wait for the events).</summary>
    public int AppendGapMs { get; private set; } = 20;

    public IReadOnlySet<string> Phases { get; private set; } = new HashSet<string>(StringComparer.Ordinal) { "inbox", "folder", "spread", "streams" };

    public static string Usage => """
        usage: Fayvad.PushBench [--stack-env PATH] [--messages 200] [--warmup 5] [--gap-ms 100] [--timeout-s 15]
                                [--streams 200] [--open-concurrency 10] [--step 50] [--settle-s 20] [--idle-s 30]
                                [--checkpoints 1000,2000] [--pool-idle-s 240] [--warmup-streams 100] [--hold-s 0]
                                [--folder BenchFolder] [--appends 1000] [--spread-folders 5] [--append-gap-ms 20]
                                [--phases inbox,folder,spread,streams]
        Needs a stack started with `deploy/stack.sh up --api` and root (ss -p, /proc, doveadm). bench/push.sh does it all.
        """;

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new BenchException($"{name} needs a value\n{Usage}");
            int Number(int min) => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                ? n
                : throw new BenchException($"{name} needs a whole number >= {min}");
            switch (name)
            {
                case "--stack-env": options.StackEnv = Value(); break;
                case "--messages": options.Messages = Number(1); break;
                case "--warmup": options.Warmup = Number(0); break;
                case "--gap-ms": options.GapMs = Number(0); break;
                case "--timeout-s": options.TimeoutSeconds = Number(1); break;
                case "--streams": options.Streams = Number(1); break;
                case "--open-concurrency": options.OpenConcurrency = Number(1); break;
                case "--step": options.Step = Number(1); break;
                case "--settle-s": options.SettleSeconds = Number(0); break;
                case "--idle-s": options.IdleSeconds = Number(1); break;
                case "--hold-s": options.HoldSeconds = Number(0); break;
                case "--pool-idle-s": options.PoolIdleSeconds = Number(0); break;
                case "--warmup-streams": options.WarmupStreams = Number(0); break;
                case "--folder": options.Folder = Value(); break;
                case "--checkpoints":
                    options.Checkpoints = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k >= 1
                            ? k
                            : throw new BenchException("--checkpoints takes a comma list of stream counts"))
                        .ToList();
                    break;
                case "--appends": options.Appends = Number(1); break;
                case "--spread-folders": options.SpreadFolders = Number(1); break;
                case "--append-gap-ms": options.AppendGapMs = Number(0); break;
                case "--phases":
                    var phases = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
                    if (phases.Count == 0 || phases.Except(["inbox", "folder", "spread", "streams"]).Any())
                    {
                        throw new BenchException("--phases takes a comma list of inbox, folder, spread, streams");
                    }

                    options.Phases = phases;
                    break;
                case "-h" or "--help": throw new BenchException(Usage);
                default: throw new BenchException($"unknown option {name}\n{Usage}");
            }
        }

        if (options.Folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            throw new BenchException("--folder must not be INBOX (the INBOX has its own phase)");
        }

        return options;
    }
}

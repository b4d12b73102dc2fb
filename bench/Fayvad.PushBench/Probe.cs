using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Fayvad.PushBench;

internal sealed record TcpConnection(int LocalPort, int PeerPort, int? Pid);

internal sealed record DovecotSession(string User, int Connections, string Protocol, IReadOnlyList<int> Pids);

/// <summary>What the benchmark reads from the machine: /proc, <c>ss</c>, <c>doveadm who</c>, <c>psql</c>. Linux only; run as root.</summary>
internal static partial class Probe
{
    private static readonly Lazy<long> TicksPerSecond = new(() =>
        long.TryParse(Run("getconf", ["CLK_TCK"]).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var hz) ? hz : 100);

    public static long ClockTicksPerSecond => TicksPerSecond.Value;

    public static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat");

    /// <summary>"Max open files" (soft limit) of a process, from /proc/PID/limits: each stream is one socket at each end.</summary>
    public static string OpenFilesLimit(int pid) =>
        File.ReadLines($"/proc/{pid}/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            ?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 4 } parts ? parts[3] : "?";

    /// <summary>VmRSS, RssAnon (kB) and thread count from /proc/PID/status.</summary>
    public static (long RssKb, long AnonKb, int Threads) Memory(int pid)
    {
        long rss = 0, anon = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kb(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (rss, anon, threads);
    }

    /// <summary>Proportional set size (kB): shared pages split between the processes sharing them.</summary>
    public static long PssKb(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/smaps_rollup").Where(l => l.StartsWith("Pss:", StringComparison.Ordinal)).Select(Kb).FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>utime + stime of one process, in clock ticks; null when it is gone.</summary>
    public static long? CpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may hold spaces; the fields after it are fixed (utime = 14th, stime = 15th field).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A process and all its descendants (Dovecot's or PostgreSQL's whole tree).</summary>
    public static List<int> Tree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out var list))
                {
                    children[ppid] = list = [];
                }

                list.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i], out var kids))
            {
                tree.AddRange(kids);
            }
        }

        return tree;
    }

    public static int? ReadPidFile(string path)
    {
        try
        {
            var first = File.ReadLines(path).FirstOrDefault()?.Trim();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process listening on a local TCP port (the API itself, not the `dotnet run` that started it).</summary>
    public static int? ListeningPid(int port)
    {
        var output = Run("ss", ["-Hltnp", $"sport = :{port}"]);
        return PidItem().Match(output) is { Success: true } m ? int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Every established TCP connection with its owning process (ss -tnp).</summary>
    public static List<TcpConnection> Established()
    {
        var list = new List<TcpConnection>();
        foreach (var line in Run("ss", ["-Htnp", "state", "established"]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=N,fd=M))]
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 4)
            {
                continue;
            }

            var pid = PidItem().Match(line) is { Success: true } m ? int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : (int?)null;
            list.Add(new TcpConnection(Port(parts[2]), Port(parts[3]), pid));
        }

        return list;
    }

    /// <summary>`doveadm who`: one row per user and protocol, with the connection count and the serving processes.</summary>
    public static List<DovecotSession> DovecotWho(string dovecotConf)
    {
        var sessions = new List<DovecotSession>();
        foreach (var line in Run("doveadm", ["-c", dovecotConf, "who"]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            if (WhoRow().Match(line) is { Success: true } m)
            {
                var pids = m.Groups[4].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
                sessions.Add(new DovecotSession(m.Groups[1].Value, int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture), m.Groups[3].Value, pids));
            }
        }

        return sessions;
    }

    /// <summary>Runs one query with psql as the API's own role; the password goes through the environment, never argv.</summary>
    public static List<string[]> Sql(string databaseUrl, string sql)
    {
        var url = new Uri(databaseUrl);
        var userInfo = url.UserInfo.Split(':', 2);
        var env = new Dictionary<string, string>
        {
            ["PGHOST"] = url.Host,
            ["PGPORT"] = url.Port.ToString(CultureInfo.InvariantCulture),
            ["PGDATABASE"] = url.AbsolutePath.TrimStart('/'),
            ["PGUSER"] = Uri.UnescapeDataString(userInfo[0]),
            ["PGPASSWORD"] = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "",
            ["PGAPPNAME"] = "fayvad-pushbench",
        };
        var psql = File.Exists("/usr/lib/postgresql/15/bin/psql") ? "/usr/lib/postgresql/15/bin/psql" : "psql";
        return Run(psql, ["-X", "-q", "-w", "-A", "-t", "-F", "\t", "-c", sql], env)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .ToList();
    }

    public static string Run(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new BenchException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new BenchException($"{file} did not finish within 30 s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new BenchException($"{file} {string.Join(' ', args.Take(2))}: exit {process.ExitCode}: {stderr.Result.Trim()}");
        }

        return stdout.Result;
    }

    private static int Port(string endpoint) =>
        int.TryParse(endpoint[(endpoint.LastIndexOf(':') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : -1;

    private static long Kb(string line) =>
        long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex PidItem();

    [GeneratedRegex(@"^(\S+)\s+(\d+)\s+(\S+)\s+\(([^)]*)\)")]
    private static partial Regex WhoRow();
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Fayvad.Bench;

/// <summary>
/// The running API as the OS sees it, read from /proc. <c>.stack/api.pid</c> holds the pid of <c>dotnet run</c>; the
/// API itself (Fayvad.Host) is its child, so that is the process measured here.
/// </summary>
internal sealed class ApiProcess
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    private ApiProcess(int pid, int? launcherPid)
    {
        Pid = pid;
        LauncherPid = launcherPid;
    }

    public int Pid { get; }
    public int? LauncherPid { get; }

    public static ApiProcess? Find(StackEnv env)
    {
        var pidFile = Path.Combine(env.StackDir, "api.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !Directory.Exists($"/proc/{pid}"))
        {
            return null;
        }

        if (IsHost(pid))
        {
            return new ApiProcess(pid, null);
        }

        var host = Descendants(pid).FirstOrDefault(IsHost);
        return host == 0 ? new ApiProcess(pid, null) : new ApiProcess(host, pid);
    }

    /// <summary>The apphost of the API (also under "dotnet Fayvad.Host.dll" the process name is what the apphost set).</summary>
    private static bool IsHost(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "Fayvad.Host"
                   || File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Any(a => a.EndsWith("Fayvad.Host.dll", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IEnumerable<int> Descendants(int root)
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
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out var list))
                {
                    children[ppid] = list = [];
                }

                list.Add(pid);
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
        }

        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                yield return child;
                queue.Enqueue(child);
            }
        }
    }

    /// <summary>VmRSS, VmHWM (peak RSS since start) in kB and the thread count, from /proc/pid/status.</summary>
    public (long RssKb, long HwmKb, int Threads) Memory()
    {
        long rss = 0, hwm = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kb(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (rss, hwm, threads);

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public string MemoryLine()
    {
        var (rss, hwm, threads) = Memory();
        return Fmt.Inv($"VmRSS {Fmt.Mb(rss)} MB, VmHWM {Fmt.Mb(hwm)} MB, {threads} threads");
    }

    /// <summary>User + system CPU time the API has used so far, in milliseconds.</summary>
    public double CpuMs()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": state=0 ... utime=11, stime=12.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000 / ClockTicksPerSecond;
    }

    /// <summary>Established TCP connections from the API process to the IMAP port (its socket inodes matched in /proc/net/tcp*).</summary>
    public int ImapConnections(int imapPort)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{Pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
        }
        catch (IOException)
        {
            return -1;
        }

        var count = 0;
        foreach (var table in new[] { $"/proc/{Pid}/net/tcp", $"/proc/{Pid}/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length < 10 || cols[3] != "01")
                {
                    continue;
                }

                var remotePort = int.Parse(cols[2][(cols[2].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (remotePort == imapPort && inodes.Contains(cols[9]))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Dovecot's own view (<c>doveadm who</c>): user, connection count, protocol, pids, IPs.</summary>
    public static string DoveadmWho(StackEnv env)
    {
        try
        {
            var start = new ProcessStartInfo("doveadm", ["-c", env["DOVECOT_CONF"], "who"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return output.TrimEnd();
        }
        catch (Win32Exception ex)
        {
            return "(doveadm not runnable: " + ex.Message + ")";
        }
    }
}

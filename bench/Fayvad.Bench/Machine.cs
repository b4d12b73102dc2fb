using System.Globalization;

namespace Fayvad.Bench;

/// <summary>
/// CPU accounting from /proc, to tell this stack's work from anything else running on the machine (another checkout's
/// stack, a build): the machine total from /proc/stat, and the summed utime+stime of every process under this stack's
/// roots (Dovecot master, PostgreSQL postmaster, Postfix master, the API's dotnet run, this process).
/// </summary>
internal sealed class Machine(StackEnv env)
{
    /// <summary>A snapshot: machine busy and total jiffies, and the jiffies of this stack's processes by group.</summary>
    internal readonly record struct Snapshot(long Busy, long Total, long Api, long MailServers, long Bench);

    public Snapshot Take()
    {
        var (busy, total) = Quiet.Busy();
        var stats = ReadAll();
        long Sum(IEnumerable<int> roots) => Tree(stats, roots).Sum(pid => stats[pid].Ticks);
        var stack = env.StackDir;
        var mailServers = new[]
        {
            PidFrom(Path.Combine(stack, "dovecot", "run", "master.pid")),
            PidFrom(Path.Combine(stack, "pg", "data", "postmaster.pid")),
            PidFrom(Path.Combine(stack, "postfix", "queue", "pid", "master.pid")),
        }.OfType<int>();
        var api = new[] { PidFrom(Path.Combine(stack, "api.pid")) }.OfType<int>();
        return new Snapshot(busy, total, Sum(api), Sum(mailServers), Sum([Environment.ProcessId]));
    }

    /// <summary>CPU of everything outside this stack and this process, in % of one core (kernel included).</summary>
    public static double OtherPercent(Snapshot before, Snapshot after)
    {
        var seconds = (after.Total - before.Total) / (double)Environment.ProcessorCount / 100;
        return seconds <= 0 ? 0 : Math.Max(0, ((after.Busy - before.Busy) - (after.Api - before.Api) - (after.MailServers - before.MailServers)
            - (after.Bench - before.Bench)) / 100.0 / seconds * 100);
    }

    /// <summary>"machine 99 % busy of 2 cores: API 48 %, Dovecot/PostgreSQL/Postfix 120 %, bench 14 %, other 16 % (of one core)".</summary>
    public static string Describe(Snapshot before, Snapshot after)
    {
        var seconds = (after.Total - before.Total) / (double)Environment.ProcessorCount / 100;
        double Core(long ticks) => seconds <= 0 ? 0 : ticks / 100.0 / seconds * 100;
        var busy = (after.Busy - before.Busy) / (double)Math.Max(1, after.Total - before.Total) * 100;
        var api = Core(after.Api - before.Api);
        var mail = Core(after.MailServers - before.MailServers);
        var bench = Core(after.Bench - before.Bench);
        var all = Core(after.Busy - before.Busy);
        var other = Math.Max(0, all - api - mail - bench);
        return Fmt.Inv($"machine {busy:F0} % busy ({Environment.ProcessorCount} cores); in % of one core: API {api:F0}, Dovecot+PostgreSQL+Postfix of this stack {mail:F0}, this bench {bench:F0}, kernel and other processes {other:F0}");
    }

    private static int? PidFrom(string file)
    {
        try
        {
            return int.TryParse(File.ReadLines(file).FirstOrDefault()?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Dictionary<int, (int Parent, long Ticks)> ReadAll()
    {
        var all = new Dictionary<int, (int, long)>();
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
                all[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return all;
    }

    private static IEnumerable<int> Tree(Dictionary<int, (int Parent, long Ticks)> all, IEnumerable<int> roots)
    {
        var children = all.GroupBy(p => p.Value.Parent).ToDictionary(g => g.Key, g => g.Select(p => p.Key).ToList());
        var queue = new Queue<int>(roots.Where(all.ContainsKey));
        while (queue.Count > 0)
        {
            var pid = queue.Dequeue();
            yield return pid;
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                queue.Enqueue(child);
            }
        }
    }
}

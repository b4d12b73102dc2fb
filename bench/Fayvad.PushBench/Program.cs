using System.Diagnostics;
using Fayvad.PushBench;

// The push benchmark of issue #6; bench/push.sh brings up the stack, runs this in Release and stops the stack.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return await Bench.RunAsync(Options.Parse(args), cancel.Token);
}
catch (BenchException ex)
{
    Console.Error.WriteLine("pushbench: " + ex.Message);
    return 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("pushbench: cancelled");
    return 130;
}

namespace Fayvad.PushBench
{
    /// <summary>The API process: the one listening on API_PORT. `.stack/api.pid` is the `dotnet run` that started it.</summary>
    internal sealed record ApiProcess(int Pid, int? LauncherPid);

    internal static class Bench
    {
        public static async Task<int> RunAsync(Options options, CancellationToken ct)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new BenchException("Linux only (/proc, ss, doveadm).");
            }

            var env = StackEnv.Load(options.StackEnv);
            var apiPort = env.GetInt("API_PORT");
            var pid = Probe.ListeningPid(apiPort) ?? throw new BenchException($"nothing listens on :{apiPort}: start the API (deploy/stack.sh up --api), and run as root");
            var launcher = Probe.ReadPidFile(Path.Combine(env.Get("STACK_DIR"), "api.pid"));
            var apiProcess = new ApiProcess(pid, launcher);
            var apiLog = Path.Combine(env.Get("STACK_DIR"), "log", "api.log");
            var apiLogStart = File.Exists(apiLog) ? new FileInfo(apiLog).Length : 0;

            using var handler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = int.MaxValue,
            };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(env.Get("API_URL")), Timeout = Timeout.InfiniteTimeSpan };
            var api = new ApiClient(http);
            var report = new Report();
            var runId = ApiClient.NewRunId();
            var total = Stopwatch.StartNew();

            report.Line("== Fayvad push benchmark (issue #6) ==");
            report.Line($"run {runId}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, {CpuModel()}");
            report.Line($"API {env.Get("API_URL")}: pid {pid} ({ProcessName(pid)}, the process listening on :{apiPort}), "
                        + $"RSS {Report.Mb(Probe.Memory(pid).RssKb)}, up {Uptime(pid)}");
            if (launcher is { } l && l != pid && Probe.Alive(l))
            {
                report.Line($"    .stack/api.pid = {l} is its launcher ({ProcessName(l)}, RSS {Report.Mb(Probe.Memory(l).RssKb)}): not measured");
            }

            report.Line($"IMAP :{env.Get("IMAP_PORT")}, SMTP inbound :{env.Get("SMTP_PORT")}, PostgreSQL :{env.Get("PG_PORT")}; phases {string.Join(",", options.Phases.Order(StringComparer.Ordinal))}");

            if (options.Phases.Contains("inbox") || options.Phases.Contains("folder") || options.Phases.Contains("spread"))
            {
                await new LatencyBench(options, env, api, http, runId, report).RunAsync(ct);
            }

            if (options.Phases.Contains("streams"))
            {
                await new CostBench(options, env, api, http, runId, apiProcess, report).RunAsync(ct);
            }

            ReportApiLog(apiLog, apiLogStart, report);
            report.Line($"(bench ran {total.Elapsed.TotalSeconds:0} s)");
            report.Close();
            return 0;
        }

        /// <summary>Warnings and errors the API logged while the benchmark ran.</summary>
        private static void ReportApiLog(string path, long start, Report report)
        {
            if (!File.Exists(path))
            {
                return;
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            file.Seek(Math.Min(start, file.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(file);
            var lines = reader.ReadToEnd().Split('\n');
            var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var examples = new List<string>();
            for (var i = 0; i < lines.Length; i++)
            {
                var level = lines[i].Length >= 5 ? lines[i][..5] : "";
                if (level is "warn:" or "fail:" or "crit:")
                {
                    counts[level] = counts.GetValueOrDefault(level) + 1;
                    var message = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
                    var example = $"{lines[i].Trim()} {message}";
                    if (examples.Count < 5 && !examples.Contains(example))
                    {
                        examples.Add(example);
                    }
                }
            }

            report.Section(".stack/log/api.log while the benchmark ran");
            report.Line(counts.Count == 0 ? "  no warn/fail/crit lines" : "  " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
            foreach (var example in examples)
            {
                report.Line("    " + (example.Length > 220 ? example[..220] + "..." : example));
            }

            if (counts.Count > 0)
            {
                report.Anomaly("api.log: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")) + $"; first: {examples.FirstOrDefault()}");
            }
        }

        private static string ProcessName(int pid)
        {
            try
            {
                var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
                return cmdline.Length > 90 ? cmdline[..90] + "..." : cmdline;
            }
            catch (IOException)
            {
                return "?";
            }
        }

        private static string Uptime(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return $"{(DateTime.Now - process.StartTime).TotalSeconds:0} s";
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return "?";
            }
        }

        private static string CpuModel() =>
            File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
    }
}

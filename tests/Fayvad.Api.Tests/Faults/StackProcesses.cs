using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Fayvad.Api.Tests.Faults;

public enum Dependency
{
    PostgreSql,
    Dovecot,
    Postfix,
}

/// <summary>
/// Stops and starts this stack's PostgreSQL, Dovecot and Postfix, each by the pid in its own state folder: never a
/// process of another stack on the machine. A start is the server's own start command, without the reloads
/// `stack.sh up` adds, so what is measured is how the rest recovers by itself.
/// </summary>
public static class StackProcesses
{
    private static string StackDir => StackSettings.Get("STACK_DIR");

    public static int Port(Dependency dependency) => int.Parse(StackSettings.Get(dependency switch
    {
        Dependency.PostgreSql => "PG_PORT",
        Dependency.Dovecot => "IMAP_PORT",
        _ => "SUBMISSION_PORT",
    }), CultureInfo.InvariantCulture);

    /// <summary>Stops the server and returns once its port refuses connections.</summary>
    public static async Task StopAsync(Dependency dependency, CancellationToken ct)
    {
        switch (dependency)
        {
            case Dependency.PostgreSql:
                await RunAsync("bash", "-c", $"cd '{StackDir}/pg' && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D data -m fast -w stop");
                break;
            case Dependency.Dovecot:
                // Authenticated imap processes outlive the master: taken before the stop, ended after it.
                var sessions = DovecotSessionPids();
                await RunAsync("kill", "-TERM", ReadPid(Path.Combine(StackDir, "dovecot", "run", "master.pid")).ToString(CultureInfo.InvariantCulture));
                await WaitAsync(dependency, answering: false, ct);
                foreach (var pid in sessions)
                {
                    KillIfStill(pid, "imap");
                }

                break;
            case Dependency.Postfix:
                // SIGTERM, as "postfix stop" sends: the master ends its children and closes its listeners.
                await RunAsync("kill", "-TERM", (await PostfixMasterPidAsync()).ToString(CultureInfo.InvariantCulture));
                break;
        }

        await WaitAsync(dependency, answering: false, ct);
    }

    /// <summary>Starts the server and returns once its port answers.</summary>
    public static async Task StartAsync(Dependency dependency, CancellationToken ct)
    {
        // Through a shell with stdio elsewhere, so a daemon does not hold this process's pipes open.
        var command = dependency switch
        {
            Dependency.PostgreSql =>
                $"cd '{StackDir}/pg' && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D data -l '{StackDir}/log/postgres.log' -w start",
            Dependency.Dovecot => $"dovecot -c '{StackSettings.Get("DOVECOT_CONF")}'",
            _ => $"postfix -c '{StackSettings.Get("POSTFIX_CONFIG_DIR")}' start",
        };
        await RunAsync("bash", "-c", command + " </dev/null >/dev/null 2>&1");
        await WaitAsync(dependency, answering: true, ct);
        if (dependency == Dependency.PostgreSql)
        {
            // The restart procedure of deploy/README.md (stack.sh up does the same). Dovecot's auth, dict and
            // quota-status processes keep failing on their dead SQL connections, or wait out a reconnect back-off that
            // grows 1, 5, 25 s: ended, the master starts fresh ones on demand. Postfix's proxymap keeps a database it
            // saw fail as down for 60 s; a reload gives it fresh processes. OpenDKIM may keep failing on its dead
            // connection for good (every send 451 4.7.1): restarted.
            var pids = string.Join(' ', DovecotChildren("auth", "auth-worker", "dict", "quota-status"));
            await RunAsync("bash", "-c", $"kill -TERM {pids} 2>/dev/null || true");
            await RestartOpenDkimAsync(ct);
            await RunAsync("postfix", "-c", StackSettings.Get("POSTFIX_CONFIG_DIR"), "reload");
        }
    }

    /// <summary>Stops this stack's OpenDKIM by its pid, waits until it has ended, and starts it again on its socket.</summary>
    private static async Task RestartOpenDkimAsync(CancellationToken ct)
    {
        var dir = Path.Combine(StackDir, "opendkim");
        var pid = ReadPid(Path.Combine(dir, "run", "opendkim.pid"));
        if (StatOf(pid)?.Name == "opendkim")
        {
            await RunAsync("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (StatOf(pid)?.Name == "opendkim")
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("OpenDKIM still running 20 s after SIGTERM");
            }

            await Task.Delay(50, ct);
        }

        var socket = StackSettings.Get("DKIM_SOCKET");
        await RunAsync("bash", "-c", $"rm -f '{socket}'; opendkim -x '{Path.Combine(dir, "opendkim.conf")}' </dev/null >>'{StackDir}/log/opendkim.log' 2>&1");
    }

    /// <summary>
    /// Back to a running stack whatever happened: `stack.sh up` starts only what is down. Its migrate is skipped (the
    /// schema is there since the run began), which makes it about 8 s instead of 20 to 90 while `dotnet run` checks
    /// the build.
    /// </summary>
    public static Task EnsureUpAsync() =>
        RunAsync("bash", "-c", $"STACK_SKIP_MIGRATE=1 '{StackSettings.RepoRoot}/deploy/stack.sh' up </dev/null >/dev/null 2>&1");

    /// <summary>Hands every deferred message in Postfix's queue to delivery now (Postfix waits minutes by itself).</summary>
    public static Task FlushMailQueueAsync() =>
        RunAsync("postqueue", "-c", StackSettings.Get("POSTFIX_CONFIG_DIR"), "-f");

    public static Task<bool> AnswersAsync(Dependency dependency, CancellationToken ct) => PortAnswersAsync(Port(dependency), ct);

    public static async Task<bool> PortAnswersAsync(int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitAsync(Dependency dependency, bool answering, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await AnswersAsync(dependency, ct) != answering)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{dependency} still {(answering ? "does not answer" : "answers")} after 20 s");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>The imap processes whose parent is this stack's Dovecot master.</summary>
    public static List<int> DovecotSessionPids() => DovecotChildren("imap");

    private static List<int> DovecotChildren(params string[] names)
    {
        var master = ReadPid(Path.Combine(StackDir, "dovecot", "run", "master.pid"));
        var pids = new List<int>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && StatOf(pid) is { } stat && stat.Parent == master && names.Contains(stat.Name))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    public static void KillIfStill(int pid, string name)
    {
        // The pid may have been reused since it was read: kill it only while it is still that program.
        if (StatOf(pid)?.Name != name)
        {
            return;
        }

        try
        {
            Process.GetProcessById(pid).Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Gone meanwhile.
        }
    }

    /// <summary>This stack's Postfix master, from its queue folder.</summary>
    public static async Task<int> PostfixMasterPidAsync()
    {
        var pidFile = Path.Combine(StackDir, "postfix", "queue", "pid", "master.pid");
        // The master holds an exclusive lock on it, which .NET's file API honours: read it with cat.
        return int.Parse((await RunAsync("cat", pidFile)).Trim(), CultureInfo.InvariantCulture);
    }

    private static int ReadPid(string path) =>
        int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Name and parent pid from /proc/PID/stat ("pid (comm) state ppid ..."); null when the process is gone.</summary>
    private static (string Name, int Parent)? StatOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var rest = stat[(close + 2)..].Split(' ');
            return (stat[(open + 1)..close], int.Parse(rest[1], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {errors}");
        }

        return await output;
    }
}

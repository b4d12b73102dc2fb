using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fayvad.Api.Tests;

/// <summary>
/// The API as a separate process (the built Fayvad.Host), on its own loopback port, for what one in-process host cannot
/// show: several nodes sharing one database, and a restart.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, int port, string nodeId)
    {
        _process = process;
        Port = port;
        NodeId = nodeId;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public string NodeId { get; }
    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="command">The program and its arguments; by default `dotnet` with the Host built beside these tests
    /// (the deploy tests pass the systemd unit's ExecStart, pointed at the published artifact).</param>
    /// <param name="workingDirectory">The content root (appsettings.json), as the unit's WorkingDirectory.</param>
    public static async Task<HostProcess> StartAsync(string nodeId, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? command = null, string? workingDirectory = null)
    {
        var port = FreePort();
        command ??= ["dotnet", HostDll()];
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        // The stack's settings (.stack/api.env) and the tests' timings, as every test host has them.
        var env = new Dictionary<string, string>(TestHostSettings.Common(), StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Mail__Push__NodeId"] = nodeId,
            ["Mail__Webhooks__InterestRefresh"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var host = new HostProcess(process, port, nodeId);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The API process exited ({process.ExitCode}):\n{host.Output}");
            }

            try
            {
                if ((await http.GetAsync("/fayvad_api/health", ct)).StatusCode == HttpStatusCode.OK)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            await Task.Delay(200, ct);
        }

        await host.DisposeAsync();
        throw new TimeoutException($"The API process did not answer on port {port}:\n{host.Output}");
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient(new Contract.ContractCheckingHandler { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Stops the process at once, the way a crash or a kill would, with no graceful shutdown.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The Host built alongside these tests, in the same configuration.</summary>
    private static string HostDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(StackSettings.RepoRoot, "src", "Host", "Fayvad.Host", "bin", configuration, "net10.0", "Fayvad.Host.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the Host first.", path);
    }
}

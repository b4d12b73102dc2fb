using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Fayvad.Api.Tests.Faults;

namespace Fayvad.Api.Tests.Deploy;

/// <summary>
/// The `dotnet publish` output of the Host (framework-dependent, Release), made once per test run into
/// artifacts/publish from the build the tests already did (`--no-build`: the same files, in seconds).
/// </summary>
public static class PublishedApi
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _directory;

    public static async Task<string> DirectoryAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_directory is null)
            {
                var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
                var output = Path.Combine(StackSettings.RepoRoot, "artifacts", "publish");
                if (System.IO.Directory.Exists(output))
                {
                    System.IO.Directory.Delete(output, recursive: true);
                }

                await StackProcesses.RunAsync("dotnet", "publish", Path.Combine(StackSettings.RepoRoot, "src", "Host", "Fayvad.Host", "Fayvad.Host.csproj"),
                    "-c", configuration, "--no-build", "--nologo", "-v", "quiet", "-o", output);
                _directory = output;
            }

            return _directory;
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>deploy/systemd/fayvad-api.service: the command and environment the unit gives the API.</summary>
public sealed record SystemdUnit(IReadOnlyList<string> ExecStart, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory)
{
    public static string FilePath => Path.Combine(StackSettings.RepoRoot, "deploy", "systemd", "fayvad-api.service");

    public static SystemdUnit Load()
    {
        var lines = File.ReadAllLines(FilePath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        string Value(string key) => lines.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];
        var environment = lines.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
            .Select(l => l["Environment=".Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        return new SystemdUnit(Value("ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries), environment, Value("WorkingDirectory"));
    }

    /// <summary>ExecStart with the install folder (WorkingDirectory) replaced by <paramref name="directory"/>.</summary>
    public IReadOnlyList<string> CommandIn(string directory) =>
        ExecStart.Select(a => a.StartsWith(WorkingDirectory + "/", StringComparison.Ordinal) ? directory + a[WorkingDirectory.Length..] : a).ToList();
}

/// <summary>deploy/nginx/fayvad-api.conf, rendered the way the deploy guide says (only its own placeholders).</summary>
public static partial class NginxSite
{
    public static readonly IReadOnlyList<string> Placeholders = ["SERVER_NAME", "HTTP_LISTEN", "HTTPS_LISTEN", "TLS_CERT", "TLS_KEY", "API_UPSTREAM"];

    public static string FilePath => Path.Combine(StackSettings.RepoRoot, "deploy", "nginx", "fayvad-api.conf");

    public static string Render(IReadOnlyDictionary<string, string> values)
    {
        var text = File.ReadAllText(FilePath);
        foreach (var name in Placeholders)
        {
            text = text.Replace("${" + name + "}", values[name], StringComparison.Ordinal);
        }

        return Leftover().Match(text) is { Success: true } left
            ? throw new InvalidOperationException($"The site has a placeholder the guide does not list: {left.Value}")
            : text;
    }

    [GeneratedRegex(@"\$\{[A-Z_]+\}")]
    private static partial Regex Leftover();
}

/// <summary>
/// nginx from Debian in front of an API on loopback, with the real site file and a self-signed certificate made for
/// this run, in a folder of its own. Started in the foreground and stopped by its pid.
/// </summary>
public sealed class NginxFront : IAsyncDisposable
{
    private const string Nginx = "/usr/sbin/nginx";
    private readonly string _dir;
    private readonly Process _process;

    private NginxFront(string dir, Process process, int httpsPort, int httpPort, string certificateHash)
    {
        _dir = dir;
        _process = process;
        HttpsPort = httpsPort;
        HttpPort = httpPort;
        CertificateHash = certificateHash;
    }

    public int HttpsPort { get; }
    public int HttpPort { get; }
    public string CertificateHash { get; }
    public Uri BaseAddress => new($"https://127.0.0.1:{HttpsPort}");
    public string ErrorLog => File.Exists(Path.Combine(_dir, "error.log")) ? File.ReadAllText(Path.Combine(_dir, "error.log")) : "";

    public static async Task<NginxFront> StartAsync(string apiUpstream, CancellationToken ct)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("fayvad-nginx-").FullName;
        // nginx's workers run as an unprivileged user and must reach their temp folders (request bodies) in here.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        }

        var (certificate, key, hash) = SelfSigned();
        await File.WriteAllTextAsync(Path.Combine(dir, "cert.pem"), certificate, ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "key.pem"), key, ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(dir, "key.pem"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (https, http) = (HostProcess.FreePort(), HostProcess.FreePort());
        var site = NginxSite.Render(new Dictionary<string, string>
        {
            ["SERVER_NAME"] = "localhost",
            ["HTTP_LISTEN"] = $"127.0.0.1:{http}",
            ["HTTPS_LISTEN"] = $"127.0.0.1:{https}",
            ["TLS_CERT"] = Path.Combine(dir, "cert.pem"),
            ["TLS_KEY"] = Path.Combine(dir, "key.pem"),
            ["API_UPSTREAM"] = apiUpstream,
        });
        await File.WriteAllTextAsync(Path.Combine(dir, "site.conf"), site, ct);
        // What Debian's /etc/nginx/nginx.conf gives a site (the http context), with every path in this folder.
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            worker_processes 1;
            daemon off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 256; }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                access_log {{dir}}/access.log;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/site.conf;
            }
            """, ct);

        var info = new ProcessStartInfo(Nginx) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log"), "-p", dir })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var front = new NginxFront(dir, process, https, http, hash);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var log = front.ErrorLog;
                await front.DisposeAsync();
                throw new InvalidOperationException($"nginx exited ({process.ExitCode}): {log}");
            }

            if (Listening(https) && Listening(http))
            {
                return front;
            }

            await Task.Delay(50, ct);
        }

        await front.DisposeAsync();
        throw new TimeoutException("nginx did not listen within 20 s: " + front.ErrorLog);
    }

    /// <summary>
    /// An HTTPS client that trusts only this run's certificate, connecting from <paramref name="from"/>; HTTP/2 (what
    /// browsers negotiate with this site) when <paramref name="http2"/>, else HTTP/1.1.
    /// </summary>
    public HttpClient Client(string? token = null, IPAddress? from = null, bool checkContract = true, bool http2 = false)
    {
        var expected = CertificateHash;
        var sockets = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), expected, StringComparison.Ordinal) },
            AllowAutoRedirect = false,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        HttpMessageHandler handler = checkContract ? new Contract.ContractCheckingHandler { InnerHandler = sockets } : sockets;
        var client = new HttpClient(handler)
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM to the master: a fast shutdown that also ends its workers.
            await StackProcesses.RunAsync("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (string Certificate, string Key, string Hash) SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), certificate.GetCertHashString(HashAlgorithmName.SHA256));
    }
}

/// <summary>The published API, started with the systemd unit's command and environment, behind nginx.</summary>
public sealed class DeployedApi : IAsyncLifetime
{
    /// <summary>The one client address (besides none) allowed to scrape metrics: shows the API sees the forwarded address.</summary>
    public static readonly IPAddress MetricsClient = IPAddress.Parse("127.0.0.2");

    public HostProcess Api { get; private set; } = null!;
    public NginxFront Front { get; private set; } = null!;
    public SystemdUnit Unit { get; } = SystemdUnit.Load();

    public async ValueTask InitializeAsync()
    {
        var published = await PublishedApi.DirectoryAsync();
        var settings = new Dictionary<string, string>(Unit.Environment, StringComparer.Ordinal)
        {
            ["Telemetry__Metrics__AllowedNetworks__0"] = MetricsClient + "/32",
        };
        settings.Remove("ASPNETCORE_URLS"); // the test's own free port instead of 8000
        Api = await HostProcess.StartAsync("deployed-" + Guid.NewGuid().ToString("N")[..6], CancellationToken.None, settings, Unit.CommandIn(published), published);
        Front = await NginxFront.StartAsync($"127.0.0.1:{Api.Port}", CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (Front is not null)
        {
            await Front.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DnsClient;
using Fayvad.Api.Tests.Faults;

namespace Fayvad.Api.Tests;

/// <summary>A record as GET dns/ lists it (value without quotes or trailing dots).</summary>
public sealed record ZoneRecord(string Name, string Type, string Value);

/// <summary>
/// Publishes records into the stack's loopback NSD (zones test. and fayvad.com., deploy/nsd): rewrites the zone file
/// from every domain published so far in this run, reloads the zone and waits until NSD answers the new serial.
/// </summary>
public static class TestDns
{
    public const string MailHost = "mx.fayvad-test.example";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, List<ZoneRecord>> Published = new(StringComparer.OrdinalIgnoreCase);
    private static long serial = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static int Port => int.Parse(StackSettings.Get("DNS_PORT"), CultureInfo.InvariantCulture);

    public static async Task<List<ZoneRecord>> RecordsAsync(HttpClient admin, long domainId, CancellationToken ct)
    {
        var dns = await TestApi.ReadAsync(await admin.GetAsync($"/fayvad_api/domains/{domainId}/dns/", ct), HttpStatusCode.OK);
        return [.. dns.GetProperty("records").EnumerateArray().Select(r =>
            new ZoneRecord(r.GetProperty("name").GetString()!, r.GetProperty("type").GetString()!, r.GetProperty("value").GetString()!))];
    }

    /// <summary>Publishes exactly what dns/ lists, after <paramref name="edit"/> (return null to leave a record out).</summary>
    public static async Task<List<ZoneRecord>> PublishFromApiAsync(HttpClient admin, long domainId, string domain, CancellationToken ct,
        Func<ZoneRecord, ZoneRecord?>? edit = null)
    {
        var records = (await RecordsAsync(admin, domainId, ct)).Select(r => edit is null ? r : edit(r)).OfType<ZoneRecord>().ToList();
        await PublishAsync(domain, records, ct);
        return records;
    }

    public static async Task PublishAsync(string domain, IEnumerable<ZoneRecord> records, CancellationToken ct)
    {
        var zone = ZoneOf(domain);
        await Gate.WaitAsync(ct);
        try
        {
            Published[domain] = [.. records];
            var next = ++serial;
            var text = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"$ORIGIN {zone}.\n$TTL 60\n")
                .Append(CultureInfo.InvariantCulture, $"@ IN SOA ns.{zone}. hostmaster.{zone}. {next} 3600 600 86400 60\n")
                .Append(CultureInfo.InvariantCulture, $"@ IN NS ns.{zone}.\nns IN A 127.0.0.1\n");
            foreach (var (_, list) in Published.Where(p => ZoneOf(p.Key) == zone))
            {
                foreach (var r in list)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{r.Name}. 60 IN {r.Type} {Rdata(r)}\n");
                }
            }

            var path = Path.Combine(StackSettings.Get("NSD_ZONES_DIR"), zone + ".zone");
            await File.WriteAllTextAsync(path + ".new", text.ToString(), ct);
            File.Move(path + ".new", path, overwrite: true);
            await ReloadAsync(zone);
            if (!await ServesSerialAsync(zone, next, TimeSpan.FromSeconds(5), ct))
            {
                // NSD 4.6's reload can lose a race with its old main process under load ("reload closed cmd channel",
                // NLnetLabs/nsd#421), and then every later reload fails too: started afresh, it reads the zone files.
                await RestartNsdAsync(ct);
                Assert.True(await ServesSerialAsync(zone, next, TimeSpan.FromSeconds(20), ct),
                    $"NSD did not serve serial {next} of {zone} within 20 s of a restart");
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>dkimpy verifies the message against the keys in the test DNS: "selector pass|fail" lines, exit 0 if all pass.</summary>
    public static async Task<(int ExitCode, string Output)> VerifyDkimAsync(byte[] message, CancellationToken ct)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Dns", "dkim_verify.py");
        var start = new ProcessStartInfo("/usr/bin/python3", [script, Port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.BaseStream.WriteAsync(message, ct);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode is 0 or 1, $"dkim_verify.py exited {process.ExitCode}: {await output} {await errors}");
        // A failure says why (dkimpy's reason on stderr) after the "selector fail" lines.
        return (process.ExitCode, process.ExitCode == 0 ? (await output).Trim() : ((await output).Trim() + "\n" + (await errors).Trim()).Trim());
    }

    private static string ZoneOf(string domain) =>
        domain.EndsWith(".test", StringComparison.OrdinalIgnoreCase) ? "test"
        : domain.Equals("fayvad.com", StringComparison.OrdinalIgnoreCase) || domain.EndsWith(".fayvad.com", StringComparison.OrdinalIgnoreCase) ? "fayvad.com"
        : throw new ArgumentException($"the test DNS serves *.test and fayvad.com only, not {domain}");

    private static string Rdata(ZoneRecord r) => r.Type switch
    {
        "TXT" => string.Join(' ', r.Value.Chunk(200).Select(c => "\"" + new string(c).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")),
        // MX and SRV end in a host name: absolute in the zone file.
        _ => r.Value + ".",
    };

    private static Task ReloadAsync(string zone) =>
        StackProcesses.RunAsync("nsd-control", "-c", StackSettings.Get("NSD_CONF"), "reload", zone + ".");

    private static async Task<bool> ServesSerialAsync(string zone, long expected, TimeSpan within, CancellationToken ct)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, Port)) { UseCache = false, Timeout = TimeSpan.FromSeconds(1) });
        // After a reload NSD's old server process may answer for a moment beside the new one (they share the
        // socket): the new serial must come back many times in a row before the zone counts as published.
        var deadline = DateTime.UtcNow + within;
        var inARow = 0;
        while (true)
        {
            try
            {
                var response = await client.QueryAsync(zone + ".", QueryType.SOA, QueryClass.IN, ct);
                inARow = response.Answers.SoaRecords().FirstOrDefault()?.Serial == expected ? inARow + 1 : 0;
            }
            catch (DnsResponseException)
            {
                // Not answering (restarting): not yet.
                inARow = 0;
            }

            if (inARow >= 20)
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(inARow > 0 ? 10 : 50, ct);
        }
    }

    /// <summary>Stops this stack's NSD (every process running its configuration, by pid) and starts it again.</summary>
    private static async Task RestartNsdAsync(CancellationToken ct)
    {
        var conf = StackSettings.Get("NSD_CONF");
        List<int> Ours() => [.. System.IO.Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) == $"nsd\0-c\0{conf}\0")];
        foreach (var pid in Ours())
        {
            await KillAsync("-TERM", pid);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Ours() is { Count: > 0 } left)
        {
            if (DateTime.UtcNow > deadline)
            {
                foreach (var pid in left)
                {
                    await KillAsync("-KILL", pid);
                }
            }

            await Task.Delay(50, ct);
        }

        var log = Path.Combine(StackSettings.Get("STACK_DIR"), "log", "nsd.log");
        await StackProcesses.RunAsync("bash", "-c", $"nsd -c '{conf}' </dev/null >>'{log}' 2>&1");
    }

    private static async Task KillAsync(string signal, int pid)
    {
        try
        {
            await StackProcesses.RunAsync("kill", signal, pid.ToString(CultureInfo.InvariantCulture));
        }
        catch (InvalidOperationException)
        {
            // Gone meanwhile.
        }
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
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
}

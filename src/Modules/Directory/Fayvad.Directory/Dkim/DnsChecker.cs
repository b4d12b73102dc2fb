using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Dkim;

/// <summary>One record as the resolver saw it. Status: ok, missing, wrong or unreachable.</summary>
internal sealed record DnsCheckItem(
    string Purpose, string Name, string Type, string Expected, IReadOnlyList<string> Found, string Status, string Detail, string? Selector);

/// <summary>
/// Resolves a domain's expected records through the configured resolver (Directory:Dns:Server/Port, or the system's),
/// all queries at once, each bounded by the timeout, and says per record whether what is published does the job.
/// </summary>
internal sealed class DnsChecker
{
    public const string Ok = "ok";
    public const string Missing = "missing";
    public const string Wrong = "wrong";
    public const string Unreachable = "unreachable";

    private readonly LookupClient client;
    private readonly DnsOptions options;

    public DnsChecker(IOptions<DnsOptions> options)
    {
        this.options = options.Value;
        var servers = string.IsNullOrWhiteSpace(this.options.Server)
            ? []
            : new[] { new NameServer(IPAddress.Parse(this.options.Server), this.options.Port) };
        client = new LookupClient(new LookupClientOptions(servers)
        {
            AutoResolveNameServers = servers.Length == 0,
            Timeout = this.options.Timeout,
            Retries = 1,
            UseCache = false,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseTcpFallback = true,
        });
        Resolver = servers.Length == 0 ? "system resolver" : $"{this.options.Server}:{this.options.Port}";
    }

    public string Resolver { get; }

    public async Task<List<DnsCheckItem>> CheckAsync(IEnumerable<DnsRecordDto> records, CancellationToken cancellationToken)
    {
        using var activity = DirectoryTracing.Source.StartActivity("dns check", System.Diagnostics.ActivityKind.Client);
        // A resolver that never answers still ends the check: each query has its timeout and retry, this bounds the rest.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(options.Timeout * 3);
        var checks = records.Select(r => CheckOneAsync(r, bound.Token, cancellationToken));
        return [.. await Task.WhenAll(checks)];
    }

    private async Task<DnsCheckItem> CheckOneAsync(DnsRecordDto record, CancellationToken bound, CancellationToken caller)
    {
        var type = record.Type switch
        {
            "MX" => QueryType.MX,
            "SRV" => QueryType.SRV,
            _ => QueryType.TXT,
        };
        IDnsQueryResponse response;
        using var activity = DirectoryTracing.Source.StartActivity("dns query", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("dns.question.type", record.Type);
        try
        {
            response = await client.QueryAsync(record.Name, type, QueryClass.IN, bound);
        }
        catch (DnsResponseException e)
        {
            return Item(record, [], Unreachable, $"No answer from {Resolver}: {e.Message}");
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return Item(record, [], Unreachable, $"No answer from {Resolver} within {options.Timeout.TotalSeconds:0.#} s.");
        }

        if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
        {
            return Item(record, [], Unreachable, $"{Resolver} answered {response.Header.ResponseCode} for {record.Name}.");
        }

        List<string> found = type switch
        {
            QueryType.MX => [.. response.Answers.MxRecords().Select(m => $"{m.Preference} {Host(m.Exchange.Value)}")],
            QueryType.SRV => [.. response.Answers.SrvRecords().Select(s => $"{s.Priority} {s.Weight} {s.Port} {Host(s.Target.Value)}")],
            _ => [.. response.Answers.TxtRecords().Select(t => string.Concat(t.Text))],
        };
        return record.Purpose switch
        {
            DomainDnsRecords.Mx => CompareMx(record, found),
            DomainDnsRecords.Spf => CompareSpf(record, found),
            DomainDnsRecords.Dkim => CompareDkim(record, found),
            DomainDnsRecords.Dmarc => CompareDmarc(record, found),
            _ => CompareSrv(record, found),
        };
    }

    private static DnsCheckItem CompareMx(DnsRecordDto record, List<string> found)
    {
        if (found.Count == 0)
        {
            return Item(record, found, Missing, $"No MX record at {record.Name}: mail for the domain has nowhere to go.");
        }

        var host = record.Value.Split(' ')[1];
        return found.Any(f => string.Equals(f.Split(' ')[1], host, StringComparison.OrdinalIgnoreCase))
            ? Item(record, found, Ok, $"{host} receives the domain's mail.")
            : Item(record, found, Wrong, $"The MX records point elsewhere, not at {host}.");
    }

    private static DnsCheckItem CompareSpf(DnsRecordDto record, List<string> found)
    {
        var spf = found.Where(f => f.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase)).ToList();
        if (spf.Count == 0)
        {
            return Item(record, found, Missing, "No SPF record (a TXT starting v=spf1) at the domain.");
        }

        if (spf.Count > 1)
        {
            return Item(record, found, Wrong, "More than one SPF record: receivers treat that as a permanent error. Merge them into one.");
        }

        var terms = Terms(spf[0]);
        var host = record.Value.Split(' ').First(t => t.StartsWith("a:", StringComparison.Ordinal));
        if (Terms(record.Value).SequenceEqual(terms))
        {
            return Item(record, found, Ok, "The SPF record is the one suggested.");
        }

        return terms.Contains(host) || terms.Contains("mx") || terms.Contains("+mx")
            ? Item(record, found, Ok, "The SPF record differs from the suggestion but authorizes this server.")
            : Item(record, found, Wrong, $"The SPF record does not authorize this server (it names neither mx nor {host}).");
    }

    private static DnsCheckItem CompareDkim(DnsRecordDto record, List<string> found)
    {
        if (found.Count == 0)
        {
            return Item(record, found, Missing, $"No TXT record at {record.Name}: receivers cannot check signatures made with selector {record.Selector}.");
        }

        var expected = Tag(record.Value, "p");
        return found.Any(f => Tag(f, "p") == expected)
            ? Item(record, found, Ok, $"The public key of selector {record.Selector} is published.")
            : Item(record, found, Wrong, $"The record at {record.Name} does not hold this selector's public key (p= differs).");
    }

    private static DnsCheckItem CompareDmarc(DnsRecordDto record, List<string> found)
    {
        var dmarc = found.Where(f => f.StartsWith("v=DMARC1", StringComparison.OrdinalIgnoreCase)).ToList();
        if (dmarc.Count == 0)
        {
            return Item(record, found, Missing, $"No DMARC record (a TXT starting v=DMARC1) at {record.Name}.");
        }

        if (dmarc.Count > 1)
        {
            return Item(record, found, Wrong, "More than one DMARC record: receivers ignore them all. Keep one.");
        }

        var policy = Tag(dmarc[0], "p")?.ToLowerInvariant();
        return policy is "none" or "quarantine" or "reject"
            ? Item(record, found, Ok, $"DMARC policy p={policy}.")
            : Item(record, found, Wrong, "The DMARC record has no valid policy (p=none, quarantine or reject).");
    }

    private static DnsCheckItem CompareSrv(DnsRecordDto record, List<string> found)
    {
        if (found.Count == 0)
        {
            return Item(record, found, Missing, $"No SRV record at {record.Name}: mail clients will not find the server by themselves.");
        }

        var want = record.Value.Split(' ');
        return found.Any(f => f.Split(' ') is var got && got[2] == want[2] && string.Equals(got[3], want[3], StringComparison.OrdinalIgnoreCase))
            ? Item(record, found, Ok, $"Points clients at {want[3]} port {want[2]}.")
            : Item(record, found, Wrong, $"Points elsewhere, not at {want[3]} port {want[2]}.");
    }

    private static DnsCheckItem Item(DnsRecordDto record, IReadOnlyList<string> found, string status, string detail) =>
        new(record.Purpose, record.Name, record.Type, record.Value, found, status, detail, record.Selector);

    private static string Host(string name) => name.TrimEnd('.').ToLowerInvariant();

    private static List<string> Terms(string spf) =>
        [.. spf.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>A tag of a DKIM/DMARC tag list (k=v; k=v), whitespace inside the value removed.</summary>
    public static string? Tag(string record, string name)
    {
        foreach (var part in record.Split(';'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return string.Concat(part[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)));
            }
        }

        return null;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Issue #11 load run: N concurrent clients for S seconds over list, detail, folders and send against the running API
// (address and demo passwords from .stack/stack.env; nothing secret is printed). Prints status counts per operation.
// Usage: dotnet run --project bench/Fayvad.LoadFaults -c Release -- [clients=200] [seconds=20]
var clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var env = LoadEnv();
var api = new Uri(env["API_URL"].TrimEnd('/') + "/");
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10 }) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };

// Two mailboxes, several tokens each, so the clients spread over users and tokens as real ones would.
var users = new[] { (env["DEMO_USER_USER"], env["DEMO_USER_PASSWORD"]), (env["DEMO_USER2_USER"], env["DEMO_USER2_PASSWORD"]) };
var sessions = new List<(string Token, string Address, string Peer)>();
for (var i = 0; i < 10; i++)
{
    foreach (var (index, (user, password)) in users.Index())
    {
        var login = await http.PostAsJsonAsync("fayvad_api/auth/login/", new { username = user, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        sessions.Add((token, user, users[1 - index].Item1));
    }
}

// Message ids to open: the newest of each INBOX.
var ids = new Dictionary<string, string[]>();
foreach (var s in sessions.DistinctBy(s => s.Address))
{
    using var request = Authorized(HttpMethod.Get, "fayvad_api/email/messages/?folder=INBOX&limit=50&include_body=false", s.Token);
    using var response = await http.SendAsync(request);
    var list = await response.Content.ReadFromJsonAsync<JsonElement>();
    ids[s.Address] = list.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
}

string[] ops = ["list", "detail", "folders", "send"];
var counts = new ConcurrentDictionary<(string Op, int Status), int>();
var errors = new ConcurrentDictionary<string, int>();
var latencies = new ConcurrentBag<double>();
var run = Guid.NewGuid().ToString("N")[..8];
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
{
    var rng = new Random(c);
    var s = sessions[c % sessions.Count];
    var n = 0;
    while (!stop.IsCancellationRequested)
    {
        // 40 % list, 30 % detail, 20 % folders, 10 % send.
        var roll = rng.Next(100);
        var op = roll < 40 ? 0 : roll < 70 ? 1 : roll < 90 ? 2 : 3;
        using var request = op switch
        {
            0 => Authorized(HttpMethod.Get, $"fayvad_api/email/messages/?folder=INBOX&page={rng.Next(1, 4)}&limit=20&include_body=true", s.Token),
            1 when ids[s.Address].Length > 0 => Authorized(HttpMethod.Get, $"fayvad_api/email/messages/{ids[s.Address][rng.Next(ids[s.Address].Length)]}/", s.Token),
            1 => Authorized(HttpMethod.Get, "fayvad_api/email/folders/", s.Token),
            2 => Authorized(HttpMethod.Get, "fayvad_api/email/folders/", s.Token),
            _ => Send(s.Token, s.Peer, $"load {run} {c}-{n++}"),
        };
        var started = Stopwatch.GetTimestamp();
        int status;
        try
        {
            using var response = await http.SendAsync(request, CancellationToken.None);
            status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (status >= 400)
            {
                errors.AddOrUpdate($"{ops[op]} {status} {(body.Length > 140 ? body[..140] : body)}", 1, (_, v) => v + 1);
            }
        }
        catch (HttpRequestException ex)
        {
            status = -1;
            errors.AddOrUpdate($"{ops[op]} connection: {ex.Message}", 1, (_, v) => v + 1);
        }
        catch (TaskCanceledException)
        {
            status = -2;
            errors.AddOrUpdate($"{ops[op]} timed out after 60 s", 1, (_, v) => v + 1);
        }

        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        counts.AddOrUpdate((ops[op], status), 1, (_, v) => v + 1);
    }
}));
clock.Stop();

var total = counts.Values.Sum();
Console.WriteLine(FormattableString.Invariant($"{clients} clients, {clock.Elapsed.TotalSeconds:0.0} s, {total} requests ({total / clock.Elapsed.TotalSeconds:0} /s)"));
foreach (var op in ops)
{
    var line = string.Join("  ", counts.Where(kv => kv.Key.Op == op).OrderBy(kv => kv.Key.Status).Select(kv => $"{kv.Key.Status}: {kv.Value}"));
    Console.WriteLine($"  {op,-8} {line}");
}

var byStatus = counts.GroupBy(kv => kv.Key.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Sum(kv => kv.Value)}");
Console.WriteLine("  all      " + string.Join("  ", byStatus));
var sorted = latencies.OrderBy(x => x).ToArray();
Console.WriteLine(FormattableString.Invariant($"  latency ms p50 {sorted[sorted.Length / 2]:0}  p95 {sorted[(int)(sorted.Length * 0.95)]:0}  p99 {sorted[(int)(sorted.Length * 0.99)]:0}  max {sorted[^1]:0}"));
foreach (var (error, count) in errors.OrderByDescending(e => e.Value).Take(10))
{
    Console.WriteLine($"  {count} x {error}");
}

return counts.Keys.Any(k => k.Status == 500) ? 1 : 0;

static HttpRequestMessage Authorized(HttpMethod method, string path, string token)
{
    var request = new HttpRequestMessage(method, path);
    request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
    return request;
}

static HttpRequestMessage Send(string token, string to, string subject)
{
    var request = Authorized(HttpMethod.Post, "fayvad_api/email/send/", token);
    request.Content = JsonContent.Create(new { to_emails = new[] { to }, subject, body = "Load run message." });
    request.Headers.Add("Idempotency-Key", subject.Replace(' ', '-'));
    return request;
}

static Dictionary<string, string> LoadEnv()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Fayvad.sln")))
    {
        dir = dir.Parent;
    }

    var path = Environment.GetEnvironmentVariable("STACK_ENV") ?? Path.Combine(dir?.FullName ?? ".", ".stack", "stack.env");
    return File.ReadAllLines(path).Where(l => l.Contains('=') && !l.StartsWith('#'))
        .Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"', '\''), StringComparer.Ordinal);
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fayvad.Api.Tests.Hostile;

/// <summary>
/// Hostile input over every route (<see cref="HostileCases"/>): each request gets a 4xx with a <c>{"error": "..."}</c>
/// body that names no .NET type and holds no stack trace, and a write changes nothing (the rows of both organizations,
/// anything named with the suite's marker, and for mail the user's folders and their counts).
/// </summary>
public sealed class HostileInputTests(ApiFactory factory) : ApiTest(factory)
{
    public static TheoryData<string> Names => [.. HostileCases.All.Select(c => c.Name)];

    private static readonly string[] Leaks =
        ["System.", "Microsoft.", "Exception", "Npgsql", "MailKit", "MimeKit", "Fayvad.", "Command", "   at ", "StackTrace", "LineNumber", "BytePosition"];

    [Fact]
    public void The_suite_sends_at_least_250_requests_and_touches_every_route()
    {
        Assert.True(HostileCases.All.Count >= 250, $"{HostileCases.All.Count} cases");
        Assert.Equal(HostileCases.All.Count, HostileCases.All.Select(c => c.Name).Distinct().Count());
        var approved = File.ReadAllLines(Path.Combine(StackSettings.RepoRoot, "tests/Fayvad.Api.Tests/Golden/routes.approved.txt"))
            .Where(l => l.Length > 0).Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Select(p => (Method: p[0], Pattern: RoutePattern(p[1]))).ToList();
        var untouched = approved.Where(r => !HostileCases.All.Any(c => c.Method == r.Method && r.Pattern.IsMatch(TestApi.Root + c.Path.Split('?')[0])))
            .Select(r => $"{r.Method} {r.Pattern}").ToList();
        Assert.True(untouched.Count == 0, "routes without a hostile case: " + string.Join(", ", untouched));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Hostile_input_is_refused_with_4xx_and_changes_nothing(string name)
    {
        var hostile = HostileCases.All.Single(c => c.Name == name);
        var world = await HostileWorld.GetAsync(Factory);
        var before = hostile.IsWrite ? await world.FingerprintAsync(HostileWorld.Marker, hostile.Mail) : null;

        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), TestApi.Root + world.Fill(hostile.Path));
        if (hostile.RawBody is not null || hostile.Body is not null)
        {
            var bytes = hostile.RawBody is { } raw ? Encoding.UTF8.GetBytes(world.Fill(Encoding.Latin1.GetString(raw))) : Encoding.UTF8.GetBytes(world.Fill(hostile.Body!));
            if (hostile.RawBody is { } rawBytes && !hostile.ContentType.StartsWith("multipart", StringComparison.Ordinal))
            {
                bytes = rawBytes;
            }

            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(hostile.ContentType);
        }

        foreach (var (header, value) in hostile.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var response = await world.ClientOf(hostile.Caller).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var status = (int)response.StatusCode;
        var text = status is >= 200 and < 300 && response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? "(an event stream)"
            : await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.True(status is >= 400 and < 500, $"{name}: expected a 4xx, got {status} {Cut(text)}");

        var body = JsonDocument.Parse(text).RootElement;
        Assert.True(body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
            && !string.IsNullOrWhiteSpace(error.GetString()), $"{name}: not an {{\"error\"}} body: {Cut(text)}");
        var leak = Leaks.FirstOrDefault(l => text.Contains(l, StringComparison.Ordinal));
        Assert.True(leak is null, $"{name}: the error names '{leak}': {Cut(text)}");

        if (before is not null)
        {
            Assert.Equal(before, await world.FingerprintAsync(HostileWorld.Marker, hostile.Mail));
        }
    }

    private static Regex RoutePattern(string route) =>
        new("^" + Regex.Escape(route).Replace(@"\{id}", "[^/]+", StringComparison.Ordinal).Replace(@"\{attachmentId}", "[^/]+", StringComparison.Ordinal)
            .Replace(@"\{ruleId}", "[^/]+", StringComparison.Ordinal) + "/?$");

    private static string Cut(string text) => text.Length > 400 ? text[..400] + "…" : text;
}

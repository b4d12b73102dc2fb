using System.Net;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests;

/// <summary>
/// The rule of docs/adr/0032, over every route of the approved list: who may call a route is decided before anything
/// about the request is read. Without a token every route but the public ones answers 401; a plain user gets 403 from
/// every route that is not theirs, and an organization admin from every superadmin route, whatever the body (none,
/// empty, malformed): never a 400 listing the fields, a 404 or a 422 that would tell them about the route. A new route
/// is an admin route here until it is listed as a plain user's.
/// </summary>
public sealed class AuthorizationOrderTests(ApiFactory factory) : ApiTest(factory)
{
    /// <summary>Open to anyone (they answer without a token).</summary>
    private static readonly string[] Public = ["POST /auth/login", "GET /health", "GET /health/live", "GET /health/ready", "GET /metrics"];

    /// <summary>A plain user's routes: their session, profile and mail, and what they see of their own account and domain.</summary>
    private static readonly string[] PlainUser =
    [
        "GET /auth/me", "PATCH /auth/me", "PATCH /auth/me/update", "POST /auth/change-password", "POST /auth/logout", "POST /auth/refresh",
        "POST /email/auth", "GET /users", "GET /domains", "GET /domains/{id}", "GET /org/email-accounts/{id}", "GET /users/{id}",
        // A mailbox's own user sets its forward (docs/adr/0034).
        "GET /org/email-accounts/{id}/forward", "PUT /org/email-accounts/{id}/forward", "DELETE /org/email-accounts/{id}/forward", "PATCH /users/{id}", "PUT /users/{id}",
    ];

    /// <summary>Superadmin routes: the platform's organizations, analytics and health (an org admin sees only their own organization).</summary>
    private static bool IsSuperadminRoute(string route) =>
        route.Contains(" /admin/", StringComparison.Ordinal) && route != "GET /admin/organizations/{id}";

    private static bool IsPlainUserRoute(string route) =>
        Public.Contains(route) || PlainUser.Contains(route) || route.Split(' ')[1].StartsWith("/email/", StringComparison.Ordinal);

    /// <summary>"POST /admin/organizations" for each line of the approved list, with the root taken off.</summary>
    private static readonly IReadOnlyList<string> AllRoutes = [.. File.ReadAllLines(Path.Combine(StackSettings.RepoRoot, "tests/Fayvad.Api.Tests/Golden/routes.approved.txt"))
        .Where(l => l.Length > 0)
        .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries))
        .Select(p => p[0] + " " + p[1][Root.Length..])];

    public static TheoryData<string> Routes => [.. AllRoutes];

    /// <summary>No body, an empty one, an empty object (every required field missing), malformed JSON, the wrong type.</summary>
    private static readonly (string What, string? Body, string ContentType)[] Bodies =
    [
        ("no body", null, ""), ("an empty body", "", "application/json"), ("{}", "{}", "application/json"),
        ("malformed JSON", "{\"name\": ", "application/json"), ("a JSON array", "[1,2]", "application/json"), ("text", "x", "text/plain"),
    ];

    [Fact]
    public void The_lists_name_only_routes_that_exist()
    {
        var routes = AllRoutes.ToHashSet();
        Assert.All(Public.Concat(PlainUser), r => Assert.Contains(r, routes));
        Assert.Contains(routes, r => !IsPlainUserRoute(r) && !IsSuperadminRoute(r));
        Assert.Contains(routes, IsSuperadminRoute);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Who_may_call_a_route_is_decided_before_its_input(string route)
    {
        var anonymous = Api.Anonymous();
        if (!Public.Contains(route))
        {
            foreach (var body in Bodies)
            {
                await AssertRefusedAsync(anonymous, route, body, HttpStatusCode.Unauthorized);
            }
        }

        if (!IsPlainUserRoute(route))
        {
            var (user, _) = await Users();
            foreach (var body in Bodies)
            {
                await AssertRefusedAsync(user, route, body, HttpStatusCode.Forbidden);
            }
        }

        if (IsSuperadminRoute(route))
        {
            var (_, admin) = await Users();
            foreach (var body in Bodies)
            {
                await AssertRefusedAsync(admin, route, body, HttpStatusCode.Forbidden);
            }
        }
    }

    /// <summary>The other side of the rule: a plain user's own routes are not refused for their role (reads only: no state changes).</summary>
    [Fact]
    public async Task A_plain_users_own_routes_are_not_refused_for_their_role()
    {
        var (user, _) = await Users();
        foreach (var route in AllRoutes.Where(r => IsPlainUserRoute(r) && !Public.Contains(r) && r.StartsWith("GET ", StringComparison.Ordinal) && r != "GET /email/events"))
        {
            var path = Root + route[4..].Replace("{id}", "987654321", StringComparison.Ordinal).Replace("{attachmentId}", "1", StringComparison.Ordinal) + "/";
            using var response = await user.GetAsync(path, Ct);
            Assert.True(response.StatusCode != HttpStatusCode.Forbidden, $"{route}: 403 {await response.Content.ReadAsStringAsync(Ct)}");
        }
    }

    private static async Task AssertRefusedAsync(HttpClient client, string route, (string What, string? Body, string ContentType) body, HttpStatusCode expected)
    {
        var parts = route.Split(' ');
        // An id no one has: what the route would answer about it must not show before the refusal.
        var path = Root + parts[1].Replace("{id}", "987654321", StringComparison.Ordinal).Replace("{attachmentId}", "1", StringComparison.Ordinal)
            .Replace("{ruleId}", "1", StringComparison.Ordinal) + "/";
        using var request = new HttpRequestMessage(new HttpMethod(parts[0]), path);
        if (body.Body is not null)
        {
            request.Content = new StringContent(body.Body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(body.ContentType);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{route} with {body.What}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error));
        // The refusal says nothing about the route's input.
        Assert.DoesNotContain("required", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (HttpClient User, HttpClient OrgAdmin)? _users;

    /// <summary>One plain user (a mailbox) and their organization's admin, shared by every route's case.</summary>
    private async Task<(HttpClient User, HttpClient OrgAdmin)> Users()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            if (_users is null)
            {
                var org = await Api.CreateOrgAsync();
                var admin = await Api.AsAsync(org.AdminUsername);
                var address = $"plain@{org.Domain}";
                await Api.CreateAccountAsync(admin, address);
                _users = (await Api.AsAsync(address), admin);
            }

            return _users.Value;
        }
        finally
        {
            Gate.Release();
        }
    }
}

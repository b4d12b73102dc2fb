using System.Net;

namespace Fayvad.Api.Tests;

public sealed class ApiSurfaceTests(ApiFactory factory) : ApiTest(factory)
{
    [Theory]
    [InlineData("/auth/me")]
    [InlineData("/users")]
    [InlineData("/domains")]
    [InlineData("/admin/organizations")]
    [InlineData("/org/email-accounts?organization=1")]
    [InlineData("/org/email-accounts")]
    [InlineData("/admin/email-accounts")]
    [InlineData("/admin/analytics")]
    [InlineData("/admin/health")]
    public async Task Paths_answer_with_and_without_trailing_slash(string path)
    {
        var superadmin = await Api.SuperadminAsync();
        var withSlash = path.Contains('?', StringComparison.Ordinal) ? path.Replace("?", "/?", StringComparison.Ordinal) : path + "/";
        Assert.Equal(HttpStatusCode.OK, (await superadmin.GetAsync(Root + path, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await superadmin.GetAsync(Root + withSlash, Ct)).StatusCode);
    }

    [Fact]
    public async Task Unknown_route_is_404_with_error_body()
    {
        await TestApi.AssertErrorAsync(await Api.Anonymous().GetAsync($"{Root}/no-such-thing/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Wrong_method_is_405_with_error_body()
    {
        await TestApi.AssertErrorAsync(await Api.Anonymous().GetAsync($"{Root}/auth/login/", Ct), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task OpenApi_document_and_docs_page_are_served()
    {
        var client = Api.Anonymous();
        var document = await TestApi.ReadAsync(await client.GetAsync($"{Root}/openapi/v1.json", Ct), HttpStatusCode.OK);
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains($"{Root}/auth/login", paths);
        Assert.Contains($"{Root}/org/email-accounts", paths);
        var docs = await client.GetAsync($"{Root}/docs/", Ct);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}

public sealed class ContractApprovalTests(ApiFactory factory) : ApiTest(factory)
{
    /// <summary>The paths and methods the Django client relies on; any change shows as a reviewed diff.</summary>
    [Fact]
    public async Task The_published_routes_match_the_approved_contract()
    {
        var document = await TestApi.ReadAsync(await Api.Anonymous().GetAsync($"{Root}/openapi/v1.json", Ct), System.Net.HttpStatusCode.OK);
        var routes = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant(),-6} {path.Name}"))
            .Order(StringComparer.Ordinal);
        GoldenFile.AssertMatches("routes", string.Join('\n', routes) + "\n");
    }
}

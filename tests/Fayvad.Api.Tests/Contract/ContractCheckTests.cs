using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Fayvad.Api.Tests.Contract;

/// <summary>The drift check itself: it must refuse what the document does not describe, or it proves nothing.</summary>
public sealed class ContractCheckTests(ApiFactory factory) : ApiTest(factory)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private static ContractDocument Document => ContractDocument.Current ?? throw new InvalidOperationException("the document was not loaded");

    [Fact]
    public async Task A_real_response_passes_and_the_same_body_with_an_undocumented_field_fails()
    {
        var client = await Api.SuperadminAsync();
        var me = await (await client.GetAsync($"{Root}/auth/me/", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Null(Document.Check(HttpMethod.Get, $"{Root}/auth/me/", 200, Json, me));

        var extra = JsonNode.Parse(me)!.AsObject();
        extra["surprise"] = 1;
        var violation = Document.Check(HttpMethod.Get, $"{Root}/auth/me/", 200, Json, extra.ToJsonString());
        Assert.NotNull(violation);
        Assert.Contains("surprise", violation, StringComparison.Ordinal);

        var wrongType = JsonNode.Parse(me)!.AsObject();
        wrongType["id"] = "not a number";
        Assert.NotNull(Document.Check(HttpMethod.Get, $"{Root}/auth/me/", 200, Json, wrongType.ToJsonString()));
    }

    [Fact]
    public void An_undocumented_status_or_media_type_fails()
    {
        var status = Document.Check(HttpMethod.Get, $"{Root}/email/folders/", 418, Json, """{"error": "I'm a teapot."}""");
        Assert.NotNull(status);
        Assert.Contains("418 is not documented", status, StringComparison.Ordinal);

        var media = Document.Check(HttpMethod.Get, $"{Root}/email/folders/", 200, new MediaTypeHeaderValue("text/html"), null);
        Assert.NotNull(media);
        Assert.Contains("text/html", media, StringComparison.Ordinal);

        // The error body is part of the contract too.
        Assert.NotNull(Document.Check(HttpMethod.Get, $"{Root}/email/folders/", 401, Json, """{"message": "no"}"""));
        Assert.Null(Document.Check(HttpMethod.Get, $"{Root}/email/folders/", 401, Json, """{"error": "Authentication credentials were not provided."}"""));
    }

    [Fact]
    public void Paths_and_methods_outside_the_document_pass_only_as_the_shared_404_and_405()
    {
        Assert.Null(Document.Check(HttpMethod.Get, $"{Root}/no-such-thing/", 404, Json, """{"error": "Not found."}"""));
        Assert.NotNull(Document.Check(HttpMethod.Get, $"{Root}/no-such-thing/", 200, Json, "[]"));
        Assert.Null(Document.Check(HttpMethod.Get, $"{Root}/auth/login/", 405, Json, """{"error": "Method not allowed."}"""));
        Assert.NotNull(Document.Check(HttpMethod.Get, $"{Root}/auth/login/", 200, Json, "{}"));
        // A literal segment is matched before a parameter.
        Assert.Contains("ListDeleted", Document.Check(HttpMethod.Get, $"{Root}/domains/deleted/", 418, Json, "{}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_meets_an_undocumented_response_throws()
    {
        using var client = new HttpClient(new ContractCheckingHandler(Document) { InnerHandler = new Canned(HttpStatusCode.OK, """{"unexpected": true}""") })
        {
            BaseAddress = new Uri("http://localhost"),
        };
        var error = await Assert.ThrowsAsync<ContractViolationException>(() => client.GetAsync($"{Root}/email/folders/", Ct));
        Assert.Contains("ListFolders", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A transport that answers one fixed response: the check, not the API, is under test here.</summary>
    private sealed class Canned(HttpStatusCode status, string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") });
    }
}

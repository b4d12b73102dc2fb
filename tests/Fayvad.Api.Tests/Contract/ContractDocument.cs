using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Fayvad.Api.Tests.Contract;

/// <summary>
/// The API's own OpenAPI document, read as a checker of responses (docs/adr/0022): a response whose status, media type
/// or JSON body the document does not describe is a violation. Objects are checked closed (no property the document
/// does not name), so a field added in code but not in the contract fails too.
/// </summary>
public sealed class ContractDocument
{
    private const string ComponentsPrefix = "#/components/schemas/";
    private readonly JsonObject _paths;
    private readonly string _definitions;
    private readonly List<(string Template, string[] Segments)> _templates;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();

    private ContractDocument(JsonObject document)
    {
        _paths = document["paths"]!.AsObject();
        var schemas = document["components"]?["schemas"]?.DeepClone().AsObject() ?? new JsonObject();
        foreach (var (_, schema) in schemas)
        {
            Close(schema);
        }

        _definitions = schemas.ToJsonString().Replace(ComponentsPrefix, "#/$defs/", StringComparison.Ordinal);
        _templates = _paths.Select(p => (p.Key, p.Key.Trim('/').Split('/'))).ToList();
    }

    /// <summary>The document the test host serves; loaded once per run.</summary>
    public static ContractDocument? Current { get; private set; }

    public static async Task<ContractDocument> LoadAsync(HttpClient client)
    {
        var text = await client.GetStringAsync($"{TestApi.Root}/openapi/v1.json");
        return Current = Parse(text);
    }

    public static ContractDocument Parse(string json) => new(JsonNode.Parse(json)!.AsObject());

    /// <summary>Null when the document describes this response; otherwise what does not match.</summary>
    public string? Check(HttpMethod method, string path, int status, MediaTypeHeaderValue? contentType, string? body) =>
        Check(method, path, status, contentType?.MediaType, body);

    public string? Check(HttpMethod method, string path, int status, string? contentType, string? body)
    {
        var normalized = path.Length > 1 ? path.TrimEnd('/') : path;
        var template = Match(normalized);
        var isError = body is not null && IsErrorBody(body);
        if (template is null)
        {
            // No operation lives here: only the shared "Not found." answer is in the contract.
            return status == 404 && isError ? null : $"{method} {path}: {status} for a path the document does not have";
        }

        var item = _paths[template]!.AsObject();
        if (item[method.Method.ToLowerInvariant()] is not JsonObject operation)
        {
            return status == 405 && isError ? null : $"{method} {template}: the document has no such operation (answered {status})";
        }

        var name = $"{method} {template} ({operation["operationId"]})";
        var responses = operation["responses"]!.AsObject();
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (responses[key] is not JsonObject response)
        {
            return $"{name}: status {status} is not documented (documented: {string.Join(", ", responses.Select(r => r.Key))}); body: {Clip(body)}";
        }

        var content = response["content"] as JsonObject;
        if (content is null || content.Count == 0)
        {
            return string.IsNullOrEmpty(body) ? null : $"{name}: {status} is documented without a body, but one came: {Clip(body)}";
        }

        if (contentType is not { } mediaType)
        {
            return $"{name}: {status} came without a content type; documented: {string.Join(", ", content.Select(c => c.Key))}";
        }

        var media = MediaFor(content, mediaType);
        if (media is null)
        {
            return $"{name}: {status} answered {mediaType}; documented: {string.Join(", ", content.Select(c => c.Key))}";
        }

        if (!IsJson(mediaType) || body is null || media.Value.Schema is not { } schema)
        {
            return null;
        }

        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return $"{name}: {status} says {mediaType} but the body is not JSON: {Clip(body)}";
        }

        var validator = _schemas.GetOrAdd($"{name} {status} {media.Value.Key}", id => Build(id, schema));
        var result = validator.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return null;
        }

        var problems = (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}"))
            .Distinct()
            .Take(8);
        return $"{name}: the {status} body does not match the documented schema:\n  {string.Join("\n  ", problems)}\nbody: {Clip(body)}";
    }

    public static bool IsJson(string mediaType) =>
        mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);

    /// <summary>Literal segments win over parameters (<c>/domains/deleted</c> before <c>/domains/{id}</c>).</summary>
    private string? Match(string path)
    {
        var segments = path.Trim('/').Split('/');
        return _templates
            .Where(t => t.Segments.Length == segments.Length
                        && t.Segments.Zip(segments).All(p => p.First.StartsWith('{') ? p.Second.Length > 0 : p.First == p.Second))
            .OrderByDescending(t => t.Segments.Count(s => !s.StartsWith('{')))
            .Select(t => t.Template)
            .FirstOrDefault();
    }

    private static (string Key, JsonNode? Schema)? MediaFor(JsonObject content, string mediaType)
    {
        var type = mediaType.Split('/')[0];
        foreach (var candidate in new[] { mediaType, type + "/*", "*/*" })
        {
            if (content[candidate] is JsonObject media)
            {
                return (candidate, media["schema"]);
            }
        }

        return null;
    }

    private JsonSchema Build(string id, JsonNode schema)
    {
        var root = $$"""{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {{_definitions}}, "allOf": [{{schema.ToJsonString().Replace(ComponentsPrefix, "#/$defs/", StringComparison.Ordinal)}}]}""";
        var uri = new Uri("https://contract.test/" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)))[..16]);
        return JsonSchema.FromText(root, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, uri);
    }

    private static bool IsErrorBody(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Every object schema that names its properties and says nothing of others allows no others.</summary>
    private static void Close(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["properties"] is JsonObject properties)
                {
                    obj.TryAdd("additionalProperties", false);
                    foreach (var (_, property) in properties)
                    {
                        Close(property);
                    }
                }

                foreach (var keyword in new[] { "items", "additionalProperties", "allOf", "oneOf", "anyOf" })
                {
                    Close(obj[keyword]);
                }

                break;
            case JsonArray array:
                foreach (var element in array)
                {
                    Close(element);
                }

                break;
        }
    }

    private static string Clip(string? body) => body is null ? "(none)" : body.Length > 400 ? body[..400] + "…" : body;
}

/// <summary>A response the OpenAPI document does not describe.</summary>
public sealed class ContractViolationException(string message) : Exception("OpenAPI contract violation: " + message);

/// <summary>
/// Sits in every test HttpClient: each response is checked against the document before the test sees it, so the test
/// that met an undocumented response fails with the operation, the status and what did not match.
/// </summary>
public sealed class ContractCheckingHandler(ContractDocument? document = null) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var contract = document ?? ContractDocument.Current;
        var path = request.RequestUri!.AbsolutePath;
        if (contract is null || !path.StartsWith(TestApi.Root + "/", StringComparison.Ordinal) || IsDocumentation(path))
        {
            return response;
        }

        // A file's own content type (from a mail's MIME header) may be one .NET does not parse: read the raw header.
        var mediaType = response.Content.Headers.ContentType?.MediaType
            ?? (response.Content.Headers.TryGetValues("Content-Type", out var raw) ? raw.First().Split(';')[0].Trim().ToLowerInvariant() : null);
        string? body = null;
        if (mediaType is null || ContractDocument.IsJson(mediaType))
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }

        if (contract.Check(request.Method, path, (int)response.StatusCode, mediaType, body) is { } violation)
        {
            response.Dispose();
            throw new ContractViolationException(violation);
        }

        return response;
    }

    /// <summary>The document and its page describe the API; they are not operations of it.</summary>
    private static bool IsDocumentation(string path) =>
        path.StartsWith(TestApi.Root + "/openapi/", StringComparison.Ordinal) || path.StartsWith(TestApi.Root + "/docs", StringComparison.Ordinal);
}

public static class CheckedClients
{
    /// <summary>A client of an in-process node whose every response is checked against the contract.</summary>
    public static HttpClient CreateCheckedClient(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory) =>
        factory.CreateDefaultClient(new Uri("http://localhost"), new ContractCheckingHandler());
}

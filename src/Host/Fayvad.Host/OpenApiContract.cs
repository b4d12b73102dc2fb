using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Fayvad.Host;

/// <summary>
/// The OpenAPI document is the contract, generated from the endpoints' metadata (docs/adr/0022): the statuses every
/// endpoint shares are added here once, by convention; what an endpoint adds it says with <see cref="ApiDocs"/>.
/// </summary>
internal static class OpenApiContract
{
    public const string DocumentPath = ApiRoutes.Root + "/openapi/{documentName}.json";
    public const string DocsPath = ApiRoutes.Root + "/docs";
    private const string Json = "application/json";

    /// <summary>
    /// The error statuses any endpoint of this shape can answer with <c>{"error"}</c>: 400 (every query string is
    /// refused with control characters, QueryGuard), 503 for a dependency, 401 when it needs a token, 404 when its
    /// path names something, 413/415 when it reads a body.
    /// </summary>
    public static void AddSharedResponses(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        var declared = metadata.OfType<IProducesResponseTypeMetadata>().Select(p => p.StatusCode).ToHashSet();
        var statuses = new List<int> { StatusCodes.Status400BadRequest, StatusCodes.Status503ServiceUnavailable };
        var authorized = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (authorized)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
        }

        // A route only some roles may call answers 403 to the others, before it reads the body (docs/adr/0032).
        if (metadata.OfType<IAuthorizeData>().Any(a => !string.IsNullOrEmpty(a.Roles)))
        {
            statuses.Add(StatusCodes.Status403Forbidden);
        }

        var hasPathParameters = endpoint is RouteEndpointBuilder { RoutePattern.Parameters.Count: > 0 };
        var body = metadata.OfType<IAcceptsMetadata>().Any() || metadata.OfType<BodyDoc>().Any();

        if (hasPathParameters)
        {
            statuses.Add(StatusCodes.Status404NotFound);
        }

        // The rate limiter (docs/adr/0018) answers 429 on every route it counts.
        if (!metadata.OfType<Microsoft.AspNetCore.RateLimiting.DisableRateLimitingAttribute>().Any())
        {
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        if (body)
        {
            statuses.Add(StatusCodes.Status415UnsupportedMediaType);
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }

        foreach (var status in statuses.Where(s => !declared.Contains(s)))
        {
            metadata.Add(new Microsoft.AspNetCore.Http.ProducesResponseTypeMetadata(status, typeof(ErrorBody), [Json]));
        }
    }

    public static IServiceCollection AddApiContract(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            // The lenient query types are described inline, as the number or flag they stand for.
            options.CreateSchemaReferenceId = type =>
                (Nullable.GetUnderlyingType(type.Type) ?? type.Type) is var clrType && (clrType == typeof(WholeNumber) || clrType == typeof(QueryFlag))
                    ? null
                    : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer(DescribeDocumentAsync);
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddSchemaTransformer((schema, context, _) =>
            {
                DescribeNumbersAndText(schema, context);
                return Task.CompletedTask;
            });
        });

    private static void DescribeNumbersAndText(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        // The lenient query types bind through TryParse, and their converters hide the wire type: a whole number, a flag.
        var clrType = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (clrType == typeof(WholeNumber) || clrType == typeof(QueryFlag))
        {
            schema.Type = clrType == typeof(WholeNumber) ? JsonSchemaType.Integer : JsonSchemaType.Boolean;
            schema.Format = clrType == typeof(WholeNumber) ? "int64" : null;
        }

        // A query parameter says its smallest value, or its closed set of values.
        if (context.JsonPropertyInfo is null && ParameterInfoOf(context.ParameterDescription) is { } parameter)
        {
            if (parameter.GetCustomAttribute<MinimumAttribute>() is { } minimum)
            {
                schema.Minimum = minimum.Value.ToString(CultureInfo.InvariantCulture);
            }

            if (parameter.GetCustomAttribute<System.ComponentModel.DataAnnotations.AllowedValuesAttribute>() is { } allowed)
            {
                schema.Enum = allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!).ToList();
            }
        }

        // The web defaults read "5" as 5, so the generator says "integer or numeric string"; the API writes numbers
        // and a client should send them: the contract says number.
        if (schema.Type is { } type && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        // A list of text: its items are text too (the custom converter hides that as well).
        if (schema.Type is { } list && list.HasFlag(JsonSchemaType.Array) && schema.Items is null && context.JsonTypeInfo.ElementType == typeof(string))
        {
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
        }

        if (context.JsonTypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object && schema.Properties is not null)
        {
            DescribeProperties(schema, context.JsonTypeInfo);
        }

        // Timestamps go through UtcDateTimeOffsetConverter, which hides their type as well: an ISO 8601 string.
        foreach (var timestamp in (schema.AnyOf ?? []).OfType<OpenApiSchema>().Prepend(schema).Where(s => s.Type is null && s.Format == "date-time"))
        {
            timestamp.Type = JsonSchemaType.String;
        }

        // Text goes through SafeTextConverter, a custom converter the generator cannot see through: it is a string,
        // null only where the property is declared nullable.
        if (context.JsonTypeInfo.Type == typeof(string) && schema.Type is null)
        {
            schema.Type = IsNullable(context.JsonPropertyInfo?.AttributeProvider) ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
        }
    }

    /// <summary>
    /// An object's properties as the C# declares them: text is a string (nullable only if declared so), a nullable
    /// property of a named type may be null (the generator writes a bare reference), and a nullable property is not
    /// required (a client may leave it out; the API writes null).
    /// </summary>
    private static void DescribeProperties(OpenApiSchema schema, System.Text.Json.Serialization.Metadata.JsonTypeInfo info)
    {
        foreach (var property in info.Properties)
        {
            if (schema.Properties?.TryGetValue(property.Name, out var inner) != true || inner is not OpenApiSchema named)
            {
                continue;
            }

            var nullable = IsNullable(property.AttributeProvider);
            if (nullable)
            {
                schema.Required?.Remove(property.Name);
            }

            if (property.PropertyType == typeof(string))
            {
                named.Type ??= nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            }
            else if (nullable && (named.Type is null || named.Type.Value.HasFlag(JsonSchemaType.Object)) && named.Type?.HasFlag(JsonSchemaType.Null) != true
                     && named.AnyOf is null)
            {
                if (info.Options.GetTypeInfo(property.PropertyType) is { Kind: System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object } nested
                    && named.Properties is not null)
                {
                    DescribeProperties(named, nested);
                }

                schema.Properties[property.Name] = new OpenApiSchema { AnyOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, named] };
            }
        }
    }

    private static bool IsNullable(ICustomAttributeProvider? member) => member switch
    {
        PropertyInfo property => new NullabilityInfoContext().Create(property).ReadState != NullabilityState.NotNull,
        ParameterInfo parameter => new NullabilityInfoContext().Create(parameter).ReadState != NullabilityState.NotNull,
        _ => false,
    };

    private static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Fayvad mail API",
            Version = "v1",
            Description = """
                The REST API behind the fayvad_mail client: identity, directory (organizations, domains, email accounts,
                users) and mail (folders, messages, send, drafts, uploads, search, push).

                Every path also answers with a trailing slash. Authenticate with the token from `POST /fayvad_api/auth/login/`
                as `Authorization: Bearer <token>` or `Authorization: Token <token>`. Every error is `{"error": "..."}` in a
                user's words; a validation error adds `fields`, each field's messages. Unknown paths answer 404 and wrong
                methods 405, with the same body.
                """,
        };
        // The server is whoever served the document; a trailing slash would double every path's.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            ["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The login token: `Authorization: Bearer <token>`.",
            },
            ["Token"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "Authorization",
                Description = "The same token in Django REST framework's form: `Authorization: Token <token>`.",
            },
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Identity", Description = "Login, tokens and the caller's own profile." },
            new() { Name = "Directory", Description = "Organizations, domains, email accounts, users and their deletion." },
            new() { Name = "Mail", Description = "Folders, messages, sending, drafts, uploads, search and the event stream." },
            new() { Name = "Webhooks", Description = "Signed deliveries of mailbox events to a server." },
            new() { Name = "Health", Description = "Whether the service answers." },
        };
        DescribeHealth(document);
        DescribeMetrics(document, context.ApplicationServices.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics);
        return Task.CompletedTask;
    }

    /// <summary>The health endpoint is a health-check endpoint, not a route handler, so the generator cannot see it.</summary>
    private static void DescribeHealth(OpenApiDocument document)
    {
        var text = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } };
        var operation = new OpenApiOperation
        {
            OperationId = "Health",
            Summary = "Whether the service answers.",
            Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse { Description = "Healthy", Content = text },
                ["503"] = new OpenApiResponse { Description = "Unhealthy", Content = text },
                ["400"] = ErrorResponse("A query string with control characters is refused.", document),
            },
        };
        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Get, operation);
        document.Paths[ApiRoutes.Root + "/health"] = item;
    }

    /// <summary>A response whose body is the API's <c>{"error"}</c>.</summary>
    private static OpenApiResponse ErrorResponse(string description, OpenApiDocument document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { [Json] = new() { Schema = new OpenApiSchemaReference(nameof(ErrorBody), document) } },
    };

    /// <summary>The Prometheus scrape is a branched pipeline, not a route handler, so the generator cannot see it.</summary>
    private static void DescribeMetrics(OpenApiDocument document, MetricsEndpointOptions metrics)
    {
        if (!metrics.Enabled)
        {
            return;
        }

        var operation = new OpenApiOperation
        {
            OperationId = "Metrics",
            Summary = "Prometheus scrape of the service's meters (answered to the configured networks only).",
            Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "Prometheus text exposition format.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                        ["application/openmetrics-text"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                },
                ["400"] = ErrorResponse("A query string with control characters is refused.", document),
                ["403"] = ErrorResponse("The caller's address is not in Telemetry:Metrics:AllowedNetworks.", document),
            },
        };
        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Get, operation);
        document.Paths[metrics.Path] = item;
    }

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        // "ListDomains" says "List domains": the endpoint's name is its summary unless it gives one.
        operation.Summary ??= operation.OperationId is { } id ? Sentence(id) : null;

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Token", document)] = [] },
            ];
        }

        operation.Parameters ??= [];
        // [Required] on a query parameter says a client must send it; the handler's validator still answers when it does not.
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            if (context.Description.ParameterDescriptions.FirstOrDefault(p => p.Name == parameter.Name) is { } described
                && ParameterInfoOf(described)?.GetCustomAttribute<System.ComponentModel.DataAnnotations.RequiredAttribute>() is not null)
            {
                parameter.Required = true;
            }
        }

        foreach (var header in metadata.OfType<HeaderParameterDoc>())
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = header.Name,
                In = ParameterLocation.Header,
                Description = header.Description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        operation.Responses ??= new OpenApiResponses();
        if (metadata.OfType<ListResponseDoc>().FirstOrDefault() is { } list
            && operation.Responses.TryGetValue("200", out var ok) && ok.Content?.TryGetValue(Json, out var okJson) == true && okJson.Schema is { } array)
        {
            var name = list.PageType.GetGenericArguments()[0].Name + "Page";
            if (document.Components?.Schemas?.ContainsKey(name) != true)
            {
                document.AddComponent(name, await context.GetOrCreateSchemaAsync(list.PageType, null, ct));
            }

            okJson.Schema = new OpenApiSchema
            {
                Description = "A bare array; the page object when page, page_size or limit is given.",
                OneOf = [array, new OpenApiSchemaReference(name, document)],
            };
        }

        foreach (var content in metadata.OfType<ContentResponseDoc>())
        {
            var key = content.StatusCode.ToString(CultureInfo.InvariantCulture);
            var events = metadata.OfType<EventStreamDoc>().FirstOrDefault();
            var description = events is null
                ? content.Description
                : content.Description + "\n\nEvents (`event:` name; `data:` one JSON object):\n"
                  + string.Join("\n", events.Events.Select(e => $"- `{e.Event}`: {e.Description} Data: {Fields(e.Data)}."));
            var response = new OpenApiResponse { Description = description, Content = new Dictionary<string, OpenApiMediaType>() };
            foreach (var type in content.ContentTypes)
            {
                response.Content[type] = new OpenApiMediaType
                {
                    Schema = type == "text/event-stream"
                        ? new OpenApiSchema { Type = JsonSchemaType.String, Description = "Server-sent events." }
                        : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                };
            }

            operation.Responses[key] = response;
        }

        if (metadata.OfType<BodyDoc>().FirstOrDefault() is { } body)
        {
            var requestBody = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody();
            operation.RequestBody = requestBody;
            requestBody.Required = true;
            requestBody.Content ??= new Dictionary<string, OpenApiMediaType>();
            if (body.JsonType is { } json && !requestBody.Content.ContainsKey(Json))
            {
                requestBody.Content[Json] = new OpenApiMediaType { Schema = await context.GetOrCreateSchemaAsync(json, null, ct) };
            }

            if (body.FormFiles.Count > 0)
            {
                var form = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema>() };
                foreach (var file in body.FormFiles)
                {
                    form.Properties[file] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                        Description = "File parts, each with its filename and content type.",
                    };
                }

                IOpenApiSchema formSchema = form;
                if (body.JsonType is { } jsonType)
                {
                    var fields = await context.GetOrCreateSchemaAsync(jsonType, null, ct);
                    formSchema = new OpenApiSchema { AllOf = [fields, form], Description = "The JSON body's fields as form fields (lists repeated or comma-separated), plus files." };
                }
                else
                {
                    form.Required = new HashSet<string>(body.FormFiles);
                }

                requestBody.Content["multipart/form-data"] = new OpenApiMediaType { Schema = formSchema };
            }

            if (body.MaxBytes is { } max)
            {
                requestBody.Description =
                    $"At most {max.ToString("N0", CultureInfo.InvariantCulture)} bytes ({max / (1024 * 1024)} MiB); a larger body is refused with 413.";
            }
        }

        DescribeErrors(operation);
    }

    private static string Sentence(string name)
    {
        var words = System.Text.RegularExpressions.Regex.Split(name, "(?<=[a-z])(?=[A-Z])");
        return string.Join(' ', words.Select((w, i) => i == 0 ? w : w.ToLowerInvariant()));
    }

    /// <summary>A data type's wire field names, as the serializer writes them.</summary>
    private static string Fields(Type? type) => type is null ? "none"
        : "`{" + string.Join(", ", type.GetProperties().Select(p => "\"" + System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) + "\"")) + "}`";

    private static ParameterInfo? ParameterInfoOf(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiParameterDescription? parameter) =>
        (parameter?.ParameterDescriptor as Microsoft.AspNetCore.Mvc.Infrastructure.IParameterInfoParameterDescriptor)?.ParameterInfo;

    /// <summary>Says what each shared error status means, with a real body as its example.</summary>
    private static void DescribeErrors(OpenApiOperation operation)
    {
        foreach (var (status, response) in operation.Responses!)
        {
            if (response is not OpenApiResponse error || error.Content?.TryGetValue(Json, out var media) != true || media is null
                || !Examples.TryGetValue(status, out var example))
            {
                continue;
            }

            error.Description = example.Description;
            media.Example = JsonNode.Parse(example.Body);
            if (status is "503" or "429")
            {
                error.Headers ??= new Dictionary<string, IOpenApiHeader>();
                error.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }
        }
    }

    private static readonly Dictionary<string, (string Description, string Body)> Examples = new()
    {
        ["400"] = ("The input is invalid: `error` says why, `fields` names each failing field (validation errors).",
            """{"error": "page must be between 1 and 10737418.", "fields": {"page": ["page must be between 1 and 10737418."]}}"""),
        ["401"] = ("No valid token was given.", """{"error": "Authentication credentials were not provided."}"""),
        ["403"] = ("The caller's role or organization may not do this.", """{"error": "You do not have permission to perform this action."}"""),
        ["404"] = ("Nothing with this id is visible to the caller.", """{"error": "Not found."}"""),
        ["409"] = ("The request conflicts with the current state.", """{"error": "A domain with this name already exists."}"""),
        ["410"] = ("It existed but is gone.", """{"error": "This upload has expired."}"""),
        ["413"] = ("The request body is too large.", """{"error": "The request body is too large."}"""),
        ["415"] = ("The body's media type is not accepted.", """{"error": "Unsupported media type: send application/json."}"""),
        ["429"] = ("Too many attempts; retry after the given seconds.", """{"error": "Too many failed login attempts. Try again later."}"""),
        ["503"] = ("A dependency (database, IMAP, SMTP) is unavailable; retry shortly.", """{"error": "The database is unavailable. Try again shortly."}"""),
    };
}

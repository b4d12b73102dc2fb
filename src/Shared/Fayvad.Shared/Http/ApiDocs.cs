using Fayvad.Shared.Paging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Http;

/// <summary>
/// One-line endpoint metadata the OpenAPI document is generated from (docs/adr/0022). Endpoints that read their query
/// or body from <see cref="HttpRequest"/> themselves are invisible to the binder, so they say here what they read; what
/// they answer is said with <c>Produces</c> metadata, like any typed endpoint.
/// </summary>
public static class ApiDocs
{
    /// <summary>The status codes an endpoint answers with the <see cref="ErrorBody"/>, beyond the ones every endpoint shares.</summary>
    public static RouteHandlerBuilder Fails(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes)
        {
            builder.Produces<ErrorBody>(status);
        }

        return builder;
    }

    /// <summary>A JSON body of <typeparamref name="T"/> (200 unless said).</summary>
    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder builder, int statusCode = StatusCodes.Status200OK) =>
        builder.Produces<T>(statusCode);

    /// <summary>A list: a bare JSON array, or the page <see cref="DrfPage{T}"/> when page, page_size or limit is given.</summary>
    public static RouteHandlerBuilder ReturnsList<T>(this RouteHandlerBuilder builder) =>
        builder.Produces<IReadOnlyList<T>>(StatusCodes.Status200OK)
            .WithMetadata(new ListResponseDoc(typeof(DrfPage<T>)))
            .Query("page", QueryType.Number, "Page number (from 1); asks for the paged form.", minimum: 1, maximum: Paging.Paging.MaxPage)
            .Query("page_size", QueryType.Number, "Items per page; asks for the paged form.",
                Paging.Paging.DefaultLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, Paging.Paging.MaxLimit)
            .Query("limit", QueryType.Number, "Same as page_size.", minimum: 1, maximum: Paging.Paging.MaxLimit);

    /// <summary>The page and limit of an endpoint that always pages (<see cref="PagingRules{T}"/>).</summary>
    public static RouteHandlerBuilder Paged(this RouteHandlerBuilder builder) =>
        builder
            .Query("page", QueryType.Number, "Page number, from 1.", "1", 1, Paging.Paging.MaxPage)
            .Query("limit", QueryType.Number, "Items per page.",
                Paging.Paging.DefaultLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, Paging.Paging.MaxLimit);

    /// <summary>A query parameter the endpoint reads from <see cref="HttpRequest.Query"/>.</summary>
    public static RouteHandlerBuilder Query(this RouteHandlerBuilder builder, string name, QueryType type, string description,
        string? @default = null, long? minimum = null, long? maximum = null, string[]? values = null, bool required = false) =>
        builder.WithMetadata(new QueryParameterDoc(name, type, description, @default, minimum, maximum, values, required));

    /// <summary>A request header the endpoint reads.</summary>
    public static RouteHandlerBuilder Header(this RouteHandlerBuilder builder, string name, string description) =>
        builder.WithMetadata(new HeaderParameterDoc(name, description));

    /// <summary>A body that is not JSON (a file, an event stream), described by its media types.</summary>
    public static RouteHandlerBuilder ReturnsContent(this RouteHandlerBuilder builder, int statusCode, string description, params string[] contentTypes) =>
        builder.WithMetadata(new ContentResponseDoc(statusCode, description, contentTypes));

    /// <summary>The events of a <c>text/event-stream</c> answer: each event's name and what its <c>data</c> holds.</summary>
    public static RouteHandlerBuilder StreamsEvents(this RouteHandlerBuilder builder, string description, IReadOnlyList<EventDoc> events) =>
        builder.ReturnsContent(StatusCodes.Status200OK, description, "text/event-stream").WithMetadata(new EventStreamDoc(events));

    /// <summary>
    /// A body the endpoint reads itself: JSON of <typeparamref name="T"/>, and, when <paramref name="formFiles"/> is
    /// given, the same fields as multipart/form-data with those file parts. Only a JSON-only body gets Accepts
    /// metadata: routing answers 415 to any other media type an endpoint declares it does not take.
    /// </summary>
    public static RouteHandlerBuilder AcceptsBody<T>(this RouteHandlerBuilder builder, long? maxBytes = null, params string[] formFiles)
        where T : notnull
    {
        if (formFiles.Length == 0)
        {
            builder.Accepts<T>("application/json");
        }

        return builder.WithMetadata(new BodyDoc(typeof(T), maxBytes, formFiles));
    }

    /// <summary>A multipart/form-data body of only files (an upload).</summary>
    public static RouteHandlerBuilder AcceptsFile(this RouteHandlerBuilder builder, long maxBytes, string field = "file") =>
        builder.WithMetadata(new BodyDoc(null, maxBytes, [field]));
}

public enum QueryType
{
    Text,
    Number,
    Flag,
}

public sealed record QueryParameterDoc(string Name, QueryType Type, string Description, string? Default, long? Minimum, long? Maximum,
    IReadOnlyList<string>? Values, bool Required);

public sealed record HeaderParameterDoc(string Name, string Description);

public sealed record ListResponseDoc(Type PageType);

public sealed record ContentResponseDoc(int StatusCode, string Description, IReadOnlyList<string> ContentTypes);

/// <summary>One event of a stream: its name, the type its <c>data</c> line holds as JSON, and what it means.</summary>
public sealed record EventDoc(string Event, Type? Data, string Description);

public sealed record EventStreamDoc(IReadOnlyList<EventDoc> Events);

public sealed record BodyDoc(Type? JsonType, long? MaxBytes, IReadOnlyList<string> FormFiles);

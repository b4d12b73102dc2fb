using Fayvad.Shared.Paging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Http;

/// <summary>
/// One-line endpoint metadata the OpenAPI document is generated from (docs/adr/0022). Query parameters are bound, and
/// so described, from their types (<c>[AsParameters]</c>, <see cref="WholeNumber"/>, <see cref="QueryFlag"/>); what an
/// endpoint answers, and a body it reads itself, is said here.
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

    /// <summary>
    /// A list: a bare JSON array, or the page <see cref="DrfPage{T}"/> when page, page_size or limit is given (the
    /// endpoint binds <see cref="ListParameters"/>).
    /// </summary>
    public static RouteHandlerBuilder ReturnsList<T>(this RouteHandlerBuilder builder) =>
        builder.Produces<IReadOnlyList<T>>(StatusCodes.Status200OK)
            .WithMetadata(new ListResponseDoc(typeof(DrfPage<T>)));

    /// <summary>A request header the framework reads for the endpoint (Range for a file), which no parameter binds.</summary>
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

public sealed record HeaderParameterDoc(string Name, string Description);

public sealed record ListResponseDoc(Type PageType);

public sealed record ContentResponseDoc(int StatusCode, string Description, IReadOnlyList<string> ContentTypes);

/// <summary>One event of a stream: its name, the type its <c>data</c> line holds as JSON, and what it means.</summary>
public sealed record EventDoc(string Event, Type? Data, string Description);

public sealed record EventStreamDoc(IReadOnlyList<EventDoc> Events);

public sealed record BodyDoc(Type? JsonType, long? MaxBytes, IReadOnlyList<string> FormFiles);

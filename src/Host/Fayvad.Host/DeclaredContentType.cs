using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Fayvad.Host;

/// <summary>
/// A body of a type the endpoint does not declare (its <see cref="IAcceptsMetadata"/>) is refused with 415, after
/// authorization: routing's own content-type matcher, which did this before authentication ran, is removed in Program
/// so that a caller learns who may call a route before anything about its input (docs/adr/0032).
/// </summary>
internal static class DeclaredContentType
{
    public static Task RefuseUndeclaredAsync(HttpContext context, Func<Task> next)
    {
        var accepts = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        var sent = context.Request.ContentType;
        if (accepts is null || accepts.ContentTypes.Count == 0 || string.IsNullOrEmpty(sent))
        {
            // No body type declared (the endpoint reads what it takes), or none sent: the endpoint decides.
            return next();
        }

        if (MediaTypeHeaderValue.TryParse(sent, out var media)
            && accepts.ContentTypes.Any(declared => MediaTypeHeaderValue.TryParse(declared, out var allowed) && media.IsSubsetOf(allowed)))
        {
            return next();
        }

        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return context.Response.WriteAsJsonAsync(new ErrorBody($"Unsupported media type: send {string.Join(" or ", accepts.ContentTypes)}."));
    }
}

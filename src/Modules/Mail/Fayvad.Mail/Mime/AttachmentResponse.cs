using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Fayvad.Mail.Mime;

/// <summary>How every file leaves the API: never sniffed or run by a browser, and resumable with HTTP Range (206, 416).</summary>
internal static class AttachmentResponse
{
    public static IResult File(
        HttpResponse response, Stream content, string contentType, ContentDispositionHeaderValue disposition,
        EntityTagHeaderValue? entityTag = null, DateTimeOffset? lastModified = null)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "sandbox";
        // SetHttpFileName wrote an ASCII fallback and an RFC 5987 filename*: no quote or line break gets through.
        response.Headers.ContentDisposition = disposition.ToString();
        return Results.Stream(content, contentType, lastModified: lastModified, entityTag: entityTag, enableRangeProcessing: true);
    }
}

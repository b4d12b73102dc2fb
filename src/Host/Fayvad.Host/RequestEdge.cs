using System.Text;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fayvad.Host;

/// <summary>
/// The API's limits on a request's head, answered with the <c>{"error"}</c> body like every other refusal. Kestrel
/// refuses what passes its own limits before any middleware runs, so its limits are set well above these and this
/// middleware enforces the API's own, with a message naming the limit; past Kestrel's raised limits,
/// <see cref="KestrelRefusals"/> adds a plainer body to Kestrel's answer (docs/adr/0032).
/// </summary>
internal static class RequestEdge
{
    /// <summary>The longest request line ("GET /path?query HTTP/1.1"): Kestrel's default, kept as the API's limit.</summary>
    public const int MaxRequestLine = 8 * 1024;

    /// <summary>All header lines together: Kestrel's default, kept as the API's limit.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public const int MaxHeaderCount = 100;

    /// <summary>
    /// Kestrel's own limits, raised so a request over the API's limits (and under nginx's, 8 KB per line and 32 KB in
    /// all) reaches <see cref="RefuseAsync"/>. Header values are read as Latin-1, so a non-ASCII byte reaches it too
    /// instead of being refused by Kestrel with an empty 400.
    /// </summary>
    public static void Configure(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = 64 * 1024;
        kestrel.Limits.MaxRequestHeadersTotalSize = 128 * 1024;
        kestrel.Limits.MaxRequestHeaderCount = 500;
        kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
        kestrel.ConfigureEndpointDefaults(KestrelRefusals.Use);
    }

    public static Task RefuseAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        // As Kestrel counts it: method, space, target, space, "HTTP/1.1", CRLF.
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLine)
        {
            return WriteAsync(context, StatusCodes.Status414RequestUriTooLong,
                $"The URL is too long: a request line may be at most {MaxRequestLine / 1024} KB.");
        }

        if (request.Headers.Count > MaxHeaderCount)
        {
            return WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request has too many headers: at most {MaxHeaderCount}.");
        }

        long size = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                // "Name: value\r\n", as the header lines were sent.
                size += name.Length + (value?.Length ?? 0) + 4;
                if (value is not null && !IsPrintableAscii(value))
                {
                    return WriteAsync(context, StatusCodes.Status400BadRequest,
                        $"The {Printable(name)} header must hold only printable ASCII characters.");
                }
            }
        }

        if (size > MaxHeaderBytes)
        {
            return WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request headers are too large: at most {MaxHeaderBytes / 1024} KB together.");
        }

        return next();
    }

    /// <summary>Visible ASCII, space and tab: what RFC 9110 allows in a field value, less obs-text.</summary>
    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is (< ' ' and not '\t') or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Header names are tokens (Kestrel refuses anything else), so this only caps the length echoed back.</summary>
    private static string Printable(string name) => name.Length > 64 ? name[..64] + "…" : name;

    private static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorBody(message));
    }
}

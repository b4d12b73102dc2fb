using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Diagnostics;

namespace Fayvad.Host;

/// <summary>Bodies for responses that left the pipeline with a bare status code (unknown route, wrong method).</summary>
internal static class ErrorPages
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        var message = response.StatusCode switch
        {
            // Left bare by ASP.NET when it cannot read a body or bind a parameter (a chunk size that is not hex, say).
            StatusCodes.Status400BadRequest => "The request could not be read: its body or a parameter is malformed.",
            StatusCodes.Status404NotFound => "Not found.",
            StatusCodes.Status405MethodNotAllowed => "Method not allowed.",
            StatusCodes.Status401Unauthorized => "Authentication credentials were not provided.",
            StatusCodes.Status403Forbidden => "You do not have permission to perform this action.",
            StatusCodes.Status415UnsupportedMediaType => "Unsupported media type: send application/json.",
            _ => "Request failed.",
        };
        return response.WriteAsJsonAsync(new ErrorBody(message));
    }
}

using System.Globalization;
using Fayvad.Shared.Results;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Http;

/// <summary>The one place an <see cref="Error"/> becomes an HTTP status and a <c>{"error": ...}</c> body.</summary>
public static class ApiResults
{
    public static int StatusCodeOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Validation => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Gone => StatusCodes.Status410Gone,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult Problem(Error error) => new ErrorResult(error);

    public static IResult ToHttp<T>(this Result<T> result, Func<T, IResult> onSuccess) =>
        result.IsSuccess ? onSuccess(result.Value) : Problem(result.Error);

    public static IResult ToOk<T>(this Result<T> result) => result.ToHttp(value => Microsoft.AspNetCore.Http.Results.Ok(value));

    private sealed class ErrorResult(Error error) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => StatusCodeOf(error.Kind);

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (error.RetryAfter is { } retryAfter)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            httpContext.Response.StatusCode = StatusCodeOf(error.Kind);
            return httpContext.Response.WriteAsJsonAsync(ErrorBody.From(error));
        }
    }
}

/// <summary>The error body of the client contract: <c>{"error": "...", "fields": {...}}</c>.</summary>
public sealed record ErrorBody(
    string Error,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyDictionary<string, string[]>? Fields = null)
{
    public static ErrorBody From(Error error) => new(error.Message, error.Fields);
}

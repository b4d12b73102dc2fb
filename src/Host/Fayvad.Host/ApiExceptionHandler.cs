using System.Net.Sockets;
using FluentValidation;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Shared.Text;
using Fayvad.Shared.Validation;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Fayvad.Host;

/// <summary>Turns anything a handler did not expect into a <c>{"error"}</c> body; no stack trace reaches a client.</summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to read a body.
            return true;
        }

        var (status, body) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, new ErrorBody(DescribeBadRequest(bad))),
            // A multipart body cut short, without a boundary, or past the form limits: the client's input, not a fault.
            InvalidDataException => (StatusCodes.Status400BadRequest,
                new ErrorBody("The request body could not be read: the form data is incomplete or malformed.")),
            ValidationException validation => (StatusCodes.Status400BadRequest,
                ErrorBody.From(ValidationErrors.From(validation.Errors.ToList()))),
            DependencyUnavailableException unavailable => (StatusCodes.Status503ServiceUnavailable, new ErrorBody(unavailable.Message)),
            _ when IsDatabaseOutage(exception) => (StatusCodes.Status503ServiceUnavailable,
                new ErrorBody("The database is unavailable. Try again shortly.")),
            _ => (StatusCodes.Status500InternalServerError, new ErrorBody("Internal server error.")),
        };

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            LogUnavailable(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.Headers.RetryAfter = "2";
        }
        else if (status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        await httpContext.Response.WriteAsJsonAsync(body, cancellationToken);
        return true;
    }

    /// <summary>
    /// The database cannot be reached or is out of connections, also when EF Core wraps the cause. A PostgreSQL error
    /// about the query itself (a constraint, a syntax error) is not an outage: that stays a 500, a bug to fix.
    /// </summary>
    internal static bool IsDatabaseOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.IsTransient;
                case NpgsqlException or SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// ASP.NET's binding messages name parameters and .NET types ("Failed to read parameter \"XCommand command\"…"):
    /// only messages of our own (<see cref="ClientInput"/>) pass through as they are.
    /// </summary>
    internal static string DescribeBadRequest(BadHttpRequestException exception)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return "The request body is too large.";
        }

        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return "Unsupported media type: send application/json.";
        }

        if (exception.InnerException is System.Text.Json.JsonException json)
        {
            return JsonErrors.Describe(json);
        }

        if (exception is ClientInputException)
        {
            return exception.Message;
        }

        var message = exception.Message;
        if (message.Contains("no body was provided", StringComparison.Ordinal) || message.Contains("not provided from body", StringComparison.Ordinal))
        {
            return "The request body is missing: send a JSON object.";
        }

        if (BindFailure().Match(message) is { Success: true } bind)
        {
            return $"{bind.Groups["name"].Value} has an invalid value.";
        }

        return exception.InnerException is IOException or InvalidDataException || message.Contains("form", StringComparison.OrdinalIgnoreCase)
            ? "The request body could not be read: it is incomplete or malformed."
            : "The request is malformed.";
    }

    [System.Text.RegularExpressions.GeneratedRegex("""parameter "[^"]*?(?<name>\w+)" from""")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dependency was unavailable on {Method} {Path}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

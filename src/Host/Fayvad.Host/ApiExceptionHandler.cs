using System.Net.Sockets;
using FluentValidation;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
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

    private static string DescribeBadRequest(BadHttpRequestException exception) =>
        exception.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? "The request body is too large."
            : exception.InnerException is System.Text.Json.JsonException json
                ? $"The request body is not valid JSON: {json.Message}"
                : exception.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dependency was unavailable on {Method} {Path}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

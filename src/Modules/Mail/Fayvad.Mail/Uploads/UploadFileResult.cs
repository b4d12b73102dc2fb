using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fayvad.Mail.Uploads;

/// <summary>
/// Sends an upload's bytes and survives the janitor removing it between the lookup and a read: before the first byte
/// leaves, the caller gets the same 404 as a moment later; once bytes have left, the connection is cut so the client
/// sees a failed download, never a short file that looks whole.
/// </summary>
internal sealed class UploadFileResult(IResult file) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            await file.ExecuteAsync(httpContext);
        }
        catch (UploadGoneException ex) when (!httpContext.Response.HasStarted)
        {
            Log(httpContext).LogGoneBeforeStart(ex.Message);
            httpContext.Response.Clear();
            await ApiResults.Problem(Error.NotFound("Upload not found.")).ExecuteAsync(httpContext);
        }
        catch (UploadGoneException ex)
        {
            Log(httpContext).LogGoneWhileSending(ex.Message);
            httpContext.Abort();
        }
    }

    private static ILogger Log(HttpContext httpContext) =>
        httpContext.RequestServices.GetRequiredService<ILogger<UploadFileResult>>();
}

internal static partial class UploadFileResultLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Reason} Answered 404.")]
    public static partial void LogGoneBeforeStart(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason} The download was cut off.")]
    public static partial void LogGoneWhileSending(this ILogger logger, string reason);
}

using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fayvad.Shared.Http;

/// <summary>
/// Puts the authenticated caller's user id in the logging scope of the rest of the request, beside the request id
/// and trace id that ASP.NET Core already puts there. Only the id: never a name, an address, a token or a body.
/// </summary>
public static class UserLogScope
{
    private static readonly Func<ILogger, string, IDisposable?> Scope = LoggerMessage.DefineScope<string>("UserId:{UserId}");

    public static IApplicationBuilder UseUserLogScope(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UserLogScope).FullName!);
        return app.Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated != true || context.User.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
            {
                await next(context);
                return;
            }

            using (Scope(logger, userId))
            {
                await next(context);
            }
        });
    }
}

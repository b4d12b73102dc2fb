using Fayvad.Shared.Http;
using Fayvad.Shared.Text;

namespace Fayvad.Host;

/// <summary>
/// No query parameter or path of the API legitimately holds a control character: a NUL or a line break in a folder,
/// search or id would reach PostgreSQL (which refuses NUL) or an IMAP command line. Refused before any endpoint runs.
/// </summary>
internal static class QueryGuard
{
    public static Task RefuseControlCharactersAsync(HttpContext context, Func<Task> next)
    {
        if (HasControl(context.Request.Path.Value))
        {
            return RefuseAsync(context, "The path must not contain control characters (NUL, line breaks).");
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if (HasControl(name))
            {
                return RefuseAsync(context, "A query parameter name must not contain control characters (NUL, line breaks).");
            }

            foreach (var value in values)
            {
                if (HasControl(value))
                {
                    return RefuseAsync(context, $"{name} must not contain control characters (NUL, line breaks).");
                }

                if (TextRules.Problem(value) is { } problem)
                {
                    return RefuseAsync(context, $"{name} {problem}");
                }
            }
        }

        return next();
    }

    private static bool HasControl(string? value) => value is not null && value.Any(char.IsControl);

    private static Task RefuseAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(new ErrorBody(message));
    }
}

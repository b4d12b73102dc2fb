using MimeKit;
using MimeKit.Cryptography;

namespace Fayvad.Mail.Mime;

/// <summary>One verdict of the receiving server: the method (spf, dkim, dmarc), its result, and the domain it is about.</summary>
internal sealed record AuthenticationVerdictDto(string Method, string Result, string? Domain, string? Reason);

/// <summary>The receiving server's Authentication-Results (RFC 8601), parsed, for the reader to warn on spoofed mail.</summary>
internal sealed record AuthenticationResultsDto(string AuthservId, IReadOnlyList<AuthenticationVerdictDto> Results);

/// <summary>
/// Picks the Authentication-Results header the receiving server wrote and reads SPF, DKIM and DMARC from it. A sender
/// can put any such header into its own message, so only the receiving server's count: those whose authserv-id is in
/// Mail:AuthenticationResults:TrustedServers, or when none is configured, the topmost (added last, on receipt).
/// </summary>
internal static class AuthenticationResultsReader
{
    public const string HeaderName = "Authentication-Results";
    private static readonly string[] Methods = ["spf", "dkim", "dmarc"];

    public static AuthenticationResultsDto? Read(HeaderList? headers, IReadOnlyCollection<string> trustedServers)
    {
        if (headers is null)
        {
            return null;
        }

        AuthenticationResultsDto? found = null;
        foreach (var header in headers.Where(h => h.Field.Equals(HeaderName, StringComparison.OrdinalIgnoreCase)))
        {
            if (!AuthenticationResults.TryParse(header.RawValue, out var parsed) || parsed.AuthenticationServiceIdentifier is not { Length: > 0 } id)
            {
                continue;
            }

            var trusted = trustedServers.Count == 0 || trustedServers.Contains(id, StringComparer.OrdinalIgnoreCase);
            if (!trusted)
            {
                continue;
            }

            var verdicts = parsed.Results
                .Where(r => Methods.Contains(r.Method, StringComparer.OrdinalIgnoreCase))
                .Select(r => new AuthenticationVerdictDto(r.Method.ToLowerInvariant(), r.Result?.ToLowerInvariant() ?? "none", DomainOf(r), r.Reason))
                .ToList();
            found = found is null ? new AuthenticationResultsDto(id, verdicts) : found with { Results = [.. found.Results, .. verdicts] };
            if (trustedServers.Count == 0)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>SPF: smtp.mailfrom (or smtp.helo); DKIM: header.d (or header.i); DMARC: header.from.</summary>
    private static string? DomainOf(AuthenticationMethodResult result)
    {
        string? Property(string type, string name) => result.Properties
            .FirstOrDefault(p => p.PropertyType.Equals(type, StringComparison.OrdinalIgnoreCase) && p.Property.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;
        static string? Domain(string? value) => value is null ? null : value[(value.LastIndexOf('@') + 1)..].ToLowerInvariant();

        return result.Method.ToLowerInvariant() switch
        {
            "spf" => Domain(Property("smtp", "mailfrom") ?? Property("smtp", "helo")),
            "dkim" => Domain(Property("header", "d") ?? Property("header", "i")),
            "dmarc" => Domain(Property("header", "from")),
            _ => null,
        };
    }
}

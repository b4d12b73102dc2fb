using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Fayvad.Directory.Access;

/// <summary>Syntax rules for the names the mail server will route: domains and mailbox addresses.</summary>
internal static partial class Addresses
{
    public static string Normalize(string value) => value.Trim().ToLowerInvariant();

    public static bool IsDomainName(string? value) =>
        value is { Length: > 0 and <= 253 } && DomainPattern().IsMatch(value);

    public static bool IsLocalPart(string? value) =>
        value is { Length: > 0 and <= 64 } && LocalPartPattern().IsMatch(value) && !value.Contains("..", StringComparison.Ordinal);

    public static bool IsAddress(string? value)
    {
        if (value is null || value.Length > 254)
        {
            return false;
        }

        var at = value.LastIndexOf('@');
        return at > 0 && IsLocalPart(value[..at]) && IsDomainName(value[(at + 1)..])
            && MailAddress.TryCreate(value, out _);
    }

    /// <summary>A login name without a domain, as Django usernames of admin and service accounts are (no @).</summary>
    public static bool IsBareUsername(string? value) => value is { Length: > 0 and <= 150 } && BareUsernamePattern().IsMatch(value);

    public static (string LocalPart, string Domain) Split(string address)
    {
        var at = address.LastIndexOf('@');
        return (address[..at], address[(at + 1)..]);
    }

    // Labels of letters, digits and inner hyphens; at least two labels; the last not all digits.
    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    // Django's username characters less @: letters, digits and . _ + -, starting with a letter or digit.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9._+-]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BareUsernamePattern();

    // The dot-atom subset mail users actually get: no quoting, no leading or trailing dot.
    [GeneratedRegex(@"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LocalPartPattern();
}

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

    /// <summary>
    /// Why the value (an address, or a bare mailbox name) cannot name a mailbox, in the words of an error; null when it
    /// can. A mailbox name holds letters, digits and . _ - only, and does not start with a dot: what Dovecot accepts as
    /// a user (auth_username_chars; any other name could never log in nor receive) and nothing a path or doveadm reads
    /// specially: / and \ separate directories, a leading dot names a hidden or parent one, % is Dovecot's variable
    /// sign, * its master-user separator, and * and ? make doveadm's user a mask of every user it matches (a purge of
    /// "x*" would have emptied "xyz"). Homes no longer hold the name (docs/adr/0006); older mailboxes' homes do.
    /// </summary>
    public static string? MailboxNameProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        var at = trimmed.LastIndexOf('@');
        var local = at >= 0 ? trimmed[..at] : trimmed;
        string? reason = null;
        if (local.Any(char.IsControl))
        {
            reason = "it holds a control character";
        }
        else if (local.FirstOrDefault(c => !IsMailboxNameChar(c)) is var refused and not '\0')
        {
            reason = refused == ' ' ? "a space is not allowed before the @" : $"'{refused}' is not allowed before the @";
        }
        else if (local.StartsWith('.'))
        {
            reason = "the name before the @ cannot start with a dot";
        }

        return reason is null
            ? null
            : $"'{Printable(trimmed)}' cannot be a mailbox address: {reason} (a mailbox name holds only letters, digits and . _ -, and does not start with a dot).";
    }

    private static bool IsMailboxNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    /// <summary>
    /// True when doveadm would read the address as a mask of users (it holds * or ?): such an address, refused today
    /// but possibly made before, must never be handed to doveadm as one user.
    /// </summary>
    public static bool IsDoveadmMask(string address) => address.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>The value as an error may quote it: control characters written as \uXXXX.</summary>
    private static string Printable(string value) =>
        string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

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

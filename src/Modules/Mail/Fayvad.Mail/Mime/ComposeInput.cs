using System.Globalization;
using System.Text.Json;
using MimeKit;

namespace Fayvad.Mail.Mime;

/// <summary>The compose fields as the client sends them: addresses, and lists given as comma-separated strings.</summary>
internal static class ComposeInput
{
    /// <summary>One bare address or "Name &lt;address&gt;"; no line breaks (they would start a new header).</summary>
    public static bool IsAddress(string value) =>
        !value.Contains('\r', StringComparison.Ordinal) && !value.Contains('\n', StringComparison.Ordinal)
        && MailboxAddress.TryParse(value, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal)
        && !mailbox.Address.StartsWith('@') && !mailbox.Address.EndsWith('@');

    public static List<string> SplitAddresses(string value)
    {
        var trimmed = value.Trim();
        if (trimmed.StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<List<string>>(trimmed)?.Select(s => s.Trim()).Where(s => s.Length > 0).ToList() ?? [];
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to separators.
            }
        }

        return trimmed.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    /// <summary>Form values: each a single id, a comma-separated list or a JSON array.</summary>
    public static bool TryIds(IEnumerable<string?> values, string name, out List<long> ids, out string? error)
    {
        ids = [];
        error = null;
        foreach (var value in values.Where(v => !string.IsNullOrWhiteSpace(v)))
        {
            var parts = value!.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var part in parts)
            {
                if (ParseId(part.Trim('"')) is not { } id || id <= 0)
                {
                    error = $"{name} must be a list of positive integer ids.";
                    return false;
                }

                ids.Add(id);
            }
        }

        return true;
    }

    /// <summary>A positive id written in digits (surrounding spaces allowed); null for anything else.</summary>
    public static long? ParseId(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
}

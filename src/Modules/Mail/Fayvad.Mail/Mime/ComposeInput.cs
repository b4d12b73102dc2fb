using System.Globalization;
using System.Text.Json;
using MimeKit;

namespace Fayvad.Mail.Mime;

/// <summary>Reads the fields of a compose or draft body as the client sends them: lists, or comma-separated strings.</summary>
internal static class ComposeInput
{
    /// <summary>One bare address or "Name &lt;address&gt;"; no line breaks (they would start a new header).</summary>
    public static bool IsAddress(string value) =>
        !value.Contains('\r', StringComparison.Ordinal) && !value.Contains('\n', StringComparison.Ordinal)
        && MailboxAddress.TryParse(value, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal)
        && !mailbox.Address.StartsWith('@') && !mailbox.Address.EndsWith('@');

    /// <summary>The first of <paramref name="names"/> present: a JSON array of addresses, or one string separated by commas or semicolons.</summary>
    public static List<string> Addresses(JsonElement root, params string[] names)
    {
        foreach (var name in names)
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.Array or JsonValueKind.String)
            {
                return value.ValueKind == JsonValueKind.Array
                    ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String)
                        .Select(e => e.GetString()!.Trim()).Where(s => s.Length > 0).ToList()
                    : SplitAddresses(value.GetString()!);
            }
        }

        return [];
    }

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

    public static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// Ids as a JSON array of integers (digit strings too), or a comma-separated string; absent or null is empty.
    /// False, with <paramref name="error"/> naming the field, for anything else.
    /// </summary>
    public static bool TryIds(JsonElement root, string name, out List<long> ids, out string? error)
    {
        ids = [];
        error = null;
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        var items = value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray().Select(e => e.ValueKind switch
            {
                JsonValueKind.Number when e.TryGetInt64(out var n) => (long?)n,
                JsonValueKind.String => ParseId(e.GetString()!),
                _ => null,
            }).ToList(),
            JsonValueKind.String => value.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseId).ToList(),
            JsonValueKind.Number when value.TryGetInt64(out var single) => [single],
            _ => [null],
        };

        if (items.Any(i => i is null or <= 0))
        {
            error = $"{name} must be a list of positive integer ids.";
            return false;
        }

        ids = items.Select(i => i!.Value).ToList();
        return true;
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

    private static long? ParseId(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

using System.Text.Json;

namespace Fayvad.Mail.Features.SendEmail;

/// <summary>
/// The JSON types of a compose body (send, drafts), checked before its fields are read: a subject that is an object,
/// or recipients that are an object or hold nulls, are refused naming the field rather than silently dropped.
/// </summary>
internal static class ComposeShape
{
    public static string? Problem(JsonElement root, IReadOnlyList<string> textFields, IReadOnlyList<string> addressFields)
    {
        foreach (var name in textFields)
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return $"{name} must be text (a JSON string).";
            }
        }

        foreach (var name in addressFields)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.String)
            {
                continue;
            }

            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                return $"{name} must be a list of email addresses (strings), or one string separated by commas.";
            }
        }

        return null;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fayvad.Shared.Text;

/// <summary>
/// A JSON error in a user's words, naming the field by its wire name (<c>max_users</c>, <c>accounts[0].email</c>):
/// never the .NET type it was read into, nor the reader's internals.
/// </summary>
public static partial class JsonErrors
{
    public const string InvalidText = "must be valid Unicode text (it holds a lone surrogate or invalid UTF-8).";

    /// <param name="target">
    /// The record the body was read into, when known: a positional record names itself in the serializer's message, so
    /// the field's own type is looked up there to say what it must be.
    /// </param>
    public static string Describe(JsonException exception, Type? target = null)
    {
        var field = FieldOf(exception.Path);
        var message = exception.Message;
        if (message.StartsWith("must ", StringComparison.Ordinal))
        {
            // Ours (SafeTextConverter, Check): already a user's words.
            return $"{field ?? "The request body"} {message}";
        }

        if (ConvertedTo().Match(message) is { Success: true } converted)
        {
            var type = converted.Groups["type"].Value;
            if (target is not null && field is not null && !type.StartsWith("System.", StringComparison.Ordinal)
                && target.GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == field) is { } property)
            {
                type = (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType).FullName ?? type;
            }

            // A request record (its constructor binds the field) names itself, not the field's type.
            return field is null ? "The request body must be a JSON object."
                : type.StartsWith("System.", StringComparison.Ordinal) ? $"{field} {Expected(type)}"
                : $"{field} has the wrong JSON type (text, a number, true/false, a list or an object where another is expected).";
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return "The request body is not valid JSON: it is nested too deeply.";
        }

        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "The request body is empty: send a JSON object.";
        }

        if (message.Contains("transcode", StringComparison.Ordinal) || message.Contains("UTF-", StringComparison.Ordinal))
        {
            return $"{field ?? "The request body"} {InvalidText}";
        }

        var where = exception.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {exception.BytePositionInLine + 1})")
            : "";
        return field is null
            ? $"The request body is not valid JSON{where}."
            : $"The request body is not valid JSON at {field}{where}.";
    }

    /// <summary>
    /// The first string (value or property name) of a parsed document that <see cref="TextRules"/> refuses, described
    /// with its path; null when all are acceptable. For endpoints that read a <see cref="JsonDocument"/> themselves.
    /// </summary>
    public static string? Check(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Problem(element, path);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Check(item, $"{path}[{index++}]") is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"A field name of the request body {InvalidText}";
                    }

                    var child = path.Length == 0 ? name : $"{path}.{name}";
                    if (TextRules.Problem(name) is { } nameProblem)
                    {
                        return $"The field name '{child}' {nameProblem}";
                    }

                    if (Check(property.Value, child) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string? Problem(JsonElement element, string path)
    {
        string value;
        try
        {
            value = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return $"{Name(path)} {InvalidText}";
        }

        return TextRules.Problem(value) is { } problem ? $"{Name(path)} {problem}" : null;
    }

    private static string Name(string path) => path.Length == 0 ? "The request body" : path;

    /// <summary><c>$.accounts[0].email</c> → <c>accounts[0].email</c>; null for the body itself.</summary>
    private static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // Names that need quoting come as $['a b']: keep them readable.
        return field.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');
    }

    private static string Expected(string type)
    {
        if (type.EndsWith("[]", StringComparison.Ordinal) || type.Contains("List", StringComparison.Ordinal)
            || type.Contains("Enumerable", StringComparison.Ordinal) || type.Contains("Collection", StringComparison.Ordinal))
        {
            return "must be a list.";
        }

        return type switch
        {
            _ when type.Contains("Int", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal)
                => "must be a whole number within range.",
            _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "must be a number.",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "must be true or false.",
            _ when type.Contains("String", StringComparison.Ordinal) => "must be text (a JSON string).",
            _ when type.Contains("DateTime", StringComparison.Ordinal) => "must be an ISO-8601 date and time.",
            _ when type.Contains("Dictionary", StringComparison.Ordinal) => "must be a JSON object.",
            _ => "must be a JSON object.",
        };
    }

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.?(\s|$)")]
    private static partial Regex ConvertedTo();
}

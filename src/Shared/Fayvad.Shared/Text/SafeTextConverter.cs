using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fayvad.Shared.Text;

/// <summary>
/// Reads every JSON string of a request through <see cref="TextRules"/>: a NUL, a control character, a lone surrogate
/// escape or invalid UTF-8 becomes a JSON error naming the field (see <see cref="JsonErrors"/>), never a database or
/// protocol failure further in.
/// </summary>
public sealed class SafeTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // The serializer's own message, which JsonErrors turns into "must be text".
            throw new JsonException();
        }

        return ReadString(ref reader);
    }

    /// <summary>The string at the reader, through <see cref="TextRules"/>; for converters that read strings themselves.</summary>
    public static string ReadString(ref Utf8JsonReader reader)
    {
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException(JsonErrors.InvalidText);
        }

        return TextRules.Problem(value) is { } problem ? throw new JsonException(problem) : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

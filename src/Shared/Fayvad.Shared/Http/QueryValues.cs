using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fayvad.Shared.Http;

/// <summary>
/// A whole number from the query string, bound leniently: a malformed value binds as <see cref="Malformed"/> instead
/// of failing the binder, so the request's validator answers with the field's wire name and its range, the same answer
/// an out-of-range number gets. Blank is absent (<see cref="Value"/> null).
/// </summary>
/// <remarks>The converters let <c>[DefaultValue(typeof(WholeNumber), "1")]</c> describe a default in the document.</remarks>
[TypeConverter(typeof(WholeNumberTypeConverter))]
[JsonConverter(typeof(WholeNumberJsonConverter))]
public readonly record struct WholeNumber(long? Value)
{
    public const long Malformed = long.MinValue;

    public static bool TryParse(string? text, IFormatProvider? provider, out WholeNumber result)
    {
        result = string.IsNullOrWhiteSpace(text)
            ? default
            : new WholeNumber(long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : Malformed);
        return true;
    }
}

/// <summary>
/// A yes/no from the query string, bound leniently: <c>true</c>, <c>1</c>, <c>yes</c> and <c>false</c>, <c>0</c>,
/// <c>no</c> (any case) are understood; anything else is kept as <see cref="Text"/> for the request to judge.
/// </summary>
[TypeConverter(typeof(QueryFlagTypeConverter))]
[JsonConverter(typeof(QueryFlagJsonConverter))]
public readonly record struct QueryFlag(string Text)
{
    public bool? Value => Text.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => null,
    };

    public static bool TryParse(string? text, IFormatProvider? provider, out QueryFlag result)
    {
        result = new QueryFlag(text ?? "");
        return true;
    }
}

public static class QueryValues
{
    /// <summary>An int for a validator's range rule: absent is null; malformed or past an int is <see cref="int.MinValue"/>.</summary>
    public static int? AsInt(this WholeNumber? number) =>
        number?.Value is not { } value ? null : value is >= int.MinValue and <= int.MaxValue ? (int)value : int.MinValue;

    public static long? AsLong(this WholeNumber? number) => number?.Value;

    /// <summary>true or false as understood; null when absent or not understood.</summary>
    public static bool? AsBool(this QueryFlag? flag) => flag?.Value;

    /// <summary>Text trimmed; blank is absent.</summary>
    public static string? Trimmed(this string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

internal sealed class WholeNumberTypeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        WholeNumber.TryParse(value as string, culture, out var number);
        return number;
    }
}

internal sealed class WholeNumberJsonConverter : JsonConverter<WholeNumber>
{
    public override WholeNumber Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64());

    public override void Write(Utf8JsonWriter writer, WholeNumber value, JsonSerializerOptions options)
    {
        if (value.Value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

internal sealed class QueryFlagTypeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) => new QueryFlag(value as string ?? "");
}

internal sealed class QueryFlagJsonConverter : JsonConverter<QueryFlag>
{
    public override QueryFlag Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.TokenType switch
        {
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            _ => reader.GetString() ?? "",
        });

    public override void Write(Utf8JsonWriter writer, QueryFlag value, JsonSerializerOptions options)
    {
        if (value.Value is { } flag)
        {
            writer.WriteBooleanValue(flag);
        }
        else
        {
            writer.WriteStringValue(value.Text);
        }
    }
}

/// <summary>
/// The smallest value a whole-number parameter takes, for the document (the request's validator enforces it); unlike
/// <c>[Range]</c> it sets no maximum.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class MinimumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}

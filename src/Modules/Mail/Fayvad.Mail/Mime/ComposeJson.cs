using System.Text.Json;
using System.Text.Json.Serialization;
using Fayvad.Shared.Http;
using Fayvad.Shared.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Mime;

/// <summary>
/// Reads a compose body (send, drafts) into its typed record with the API's JSON options plus the converters for the
/// shapes the client sends: an address list as a JSON list or one comma-separated string, ids as numbers or digit
/// strings, a draft id as a number or a string, inline files as objects of text. A value of the wrong shape is refused
/// naming its field (<see cref="JsonErrors"/>); null is absent, as everywhere. The converters are keyed by type, and in these records only those
/// fields have those types; the records themselves stay plain, so the OpenAPI document is generated from them.
/// </summary>
internal sealed class ComposeJson(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    private readonly JsonSerializerOptions _options = new(json.Value.SerializerOptions)
    {
        Converters = { new AddressListConverter(), new IdListConverter(), new OptionalIdConverter(), new FileListConverter() },
    };

    public async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, _options, ct)
                ?? throw new ClientInputException("The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ClientInputException(JsonErrors.Describe(ex, typeof(T)));
        }
    }

    /// <summary>A JSON list of address strings, or one string separated by commas or semicolons; null is none.</summary>
    private sealed class AddressListConverter : JsonConverter<IReadOnlyList<string>>
    {
        public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return ComposeInput.SplitAddresses(SafeString(ref reader));
                case JsonTokenType.StartArray:
                    var addresses = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            throw Wrong();
                        }

                        if (SafeString(ref reader).Trim() is { Length: > 0 } address)
                        {
                            addresses.Add(address);
                        }
                    }

                    return addresses;
                default:
                    throw Wrong();
            }
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.ToArray(), options);

        private static JsonException Wrong() => new("must be a list of email addresses (strings), or one string separated by commas.");
    }

    /// <summary>Ids as a JSON list of integers (digit strings too), one integer, or a comma-separated string; null is none.</summary>
    private sealed class IdListConverter : JsonConverter<IReadOnlyList<long>>
    {
        public override IReadOnlyList<long> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Number:
                    return [Positive(reader.TryGetInt64(out var single) ? single : null)];
                case JsonTokenType.String:
                    return SafeString(ref reader).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(part => Positive(ComposeInput.ParseId(part))).ToList();
                case JsonTokenType.StartArray:
                    var ids = new List<long>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        ids.Add(Positive(reader.TokenType switch
                        {
                            JsonTokenType.Number when reader.TryGetInt64(out var n) => n,
                            JsonTokenType.String => ComposeInput.ParseId(SafeString(ref reader)),
                            _ => null,
                        }));
                    }

                    return ids;
                default:
                    throw Wrong();
            }
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<long> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.ToArray(), options);

        private static long Positive(long? id) => id is > 0 ? id.Value : throw Wrong();

        private static JsonException Wrong() => new("must be a list of positive integer ids.");
    }

    /// <summary>An id that may be absent: a positive integer or its digits as a string; null or a blank string is absent.</summary>
    private sealed class OptionalIdConverter : JsonConverter<long?>
    {
        public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            long? id = reader.TokenType switch
            {
                JsonTokenType.Number when reader.TryGetInt64(out var n) && n > 0 => n,
                JsonTokenType.String when SafeString(ref reader) is var text => string.IsNullOrWhiteSpace(text) ? null : ComposeInput.ParseId(text) ?? throw Wrong(),
                _ => throw Wrong(),
            };
            return id;
        }

        public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
        {
            if (value is { } id)
            {
                writer.WriteNumberValue(id);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        private static JsonException Wrong() => new("must be the integer id of one of your drafts, or absent to create a draft.");
    }

    /// <summary>
    /// Inline files: a JSON list of objects whose filename and content_type are text or null and whose content_base64
    /// is text; a missing filename is "" (the sender names it). Whether the text is base64 is checked where it is decoded.
    /// </summary>
    private sealed class FileListConverter : JsonConverter<IReadOnlyList<InlineAttachment>>
    {
        private static readonly string[] Fields = ["filename", "content_type", "content_base64"];

        public override IReadOnlyList<InlineAttachment> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw Wrong();
            }

            var files = new List<InlineAttachment>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Wrong();
                }

                string? filename = null, contentType = null, content = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    // Compared as bytes: a name is never decoded, so a broken one cannot throw outside JSON's errors.
                    string? name = null;
                    foreach (var field in Fields)
                    {
                        name ??= reader.ValueTextEquals(field) ? field : null;
                    }

                    reader.Read();
                    if (name is null)
                    {
                        reader.Skip();
                        continue;
                    }

                    var value = reader.TokenType switch
                    {
                        JsonTokenType.Null => null,
                        JsonTokenType.String => SafeString(ref reader),
                        _ => throw Wrong(),
                    };
                    _ = name switch
                    {
                        "filename" => filename = value,
                        "content_type" => contentType = value,
                        _ => content = value,
                    };
                }

                files.Add(new InlineAttachment(filename ?? "", contentType, content ?? throw Wrong()));
            }

            return files;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<InlineAttachment> value, JsonSerializerOptions options) =>
            throw new NotSupportedException("Inline files are only read.");

        private static JsonException Wrong() => new("must be a list of files: objects with filename, content_type and content_base64 as text.");
    }

    /// <summary>A string through the API's text rules (no NUL, control characters, lone surrogates).</summary>
    private static string SafeString(ref Utf8JsonReader reader) => SafeTextConverter.ReadString(ref reader);
}

/// <summary>A file inside a JSON compose body; an uploaded file named by <c>attachment_ids</c> is the better way.</summary>
internal sealed record InlineAttachment(string Filename, string? ContentType, string ContentBase64);

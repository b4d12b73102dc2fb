using System.Text.Json;
using Fayvad.Shared.Http;
using Fayvad.Shared.Text;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Mail.Mime;

/// <summary>
/// The JSON types of a compose body (send, drafts), checked before its fields are read: a subject that is an object,
/// or recipients that are an object or hold nulls, are refused naming the field rather than silently dropped.
/// </summary>
internal static class ComposeShape
{
    /// <summary>
    /// Parses a compose body (send, drafts) as one JSON object, refuses bad text and wrong field types naming the field,
    /// and hands the root to <paramref name="read"/> while the document is alive.
    /// </summary>
    public static async Task<T> ReadAsync<T>(
        HttpRequest request, IReadOnlyList<string> textFields, IReadOnlyList<string> addressFields, Func<JsonElement, T> read, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            throw new ClientInputException(JsonErrors.Describe(ex));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ClientInputException("The request body must be a JSON object.");
            }

            // NUL, control characters, lone surrogates, invalid UTF-8: refused here, naming the field, before any is read.
            if (JsonErrors.Check(root) is { } textProblem)
            {
                throw new ClientInputException(textProblem);
            }

            if (Problem(root, textFields, addressFields) is { } shapeProblem)
            {
                throw new ClientInputException(shapeProblem);
            }

            return read(root);
        }
    }

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

    /// <summary>
    /// Inline files: absent, null, or a list of objects whose filename and content_type are text (or null) and whose
    /// content_base64 is text. A string, an object or a number in its place was ignored and the message sent without it.
    /// </summary>
    public static string? FileListProblem(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return $"{name} must be a list of files: objects with filename, content_type and content_base64.";
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return $"{name}[{index}] must be an object with filename, content_type and content_base64.";
            }

            foreach (var field in (string[])["filename", "content_type", "content_base64"])
            {
                if (item.TryGetProperty(field, out var text) && text.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    return $"{name}[{index}].{field} must be text (a JSON string).";
                }
            }

            index++;
        }

        return null;
    }
}

using System.Net;
using System.Text.Json;

namespace Fayvad.Api.Tests;

/// <summary>
/// The API's responses as a client reads them, for tests that read more than a field or two. These records are the
/// tests' own, never the API's types, so a renamed, retyped or missing field fails the test that reads it: every
/// constructor parameter is required, and a null where the record says non-null is an error.
/// </summary>
public static class Wire
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>Asserts the status, then reads the body as <typeparamref name="T"/>.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpStatusCode expected) =>
        (await TestApi.ReadAsync(response, expected)).Deserialize<T>(Options)
        ?? throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: the body is null");
}

public sealed record FolderList(IReadOnlyList<Folder> Folders);

public sealed record Folder(string Id, string Name, int UnreadCount, int TotalCount, string? Role, string? Parent, string Type, string? State);

public sealed record MessagePage(
    IReadOnlyList<Message> Messages, int Total, int Page, int Limit, bool HasNext, bool HasPrev, string Folder, string State);

/// <summary>A message as the list and search return it (the seed's fields). Dates stay text: tests check their form.</summary>
public sealed record Message(
    string Id,
    string Subject,
    string Sender,
    string SenderName,
    string FromDisplay,
    IReadOnlyList<string> ToRecipients,
    IReadOnlyList<string> CcRecipients,
    IReadOnlyList<string> BccRecipients,
    string DateReceived,
    string DateSent,
    bool IsRead,
    bool IsStarred,
    bool HasAttachments,
    long SizeBytes,
    string BodyText,
    string? BodyHtml,
    string Snippet,
    string Folder,
    string MessageId,
    uint Uid,
    bool BodyTruncated);

/// <summary>The data of the event stream's events, one record per kind (the stream's contract, read strictly).</summary>
public sealed record MessageNewEvent(string Folder, string Id, Message Message);

public sealed record MessageUpdatedEvent(string Folder, string Id, bool IsRead, bool IsStarred, IReadOnlyList<string> Flags);

public sealed record MessageDeletedEvent(string Folder, string Id);

public sealed record FolderCountsEvent(string Folder, int UnreadCount, int TotalCount);

public sealed record FolderChangeEvent(string Folder, string? OldFolder);

public sealed record ReasonEvent(string Reason);

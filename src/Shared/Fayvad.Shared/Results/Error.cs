namespace Fayvad.Shared.Results;

/// <summary>What went wrong, in words a client can show; the kind decides the HTTP status.</summary>
public enum ErrorKind
{
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    TooManyRequests,
    Unavailable,

    /// <summary>What the request refers to existed but can no longer be resolved (e.g. a sync state of a recreated folder).</summary>
    Gone,
}

public sealed record Error(
    ErrorKind Kind,
    string Message,
    IReadOnlyDictionary<string, string[]>? Fields = null,
    TimeSpan? RetryAfter = null)
{
    public static Error Validation(string message, IReadOnlyDictionary<string, string[]>? fields = null) =>
        new(ErrorKind.Validation, message, fields);

    public static Error Validation(string field, string message) =>
        new(ErrorKind.Validation, message, new Dictionary<string, string[]> { [field] = [message] });

    public static Error Unauthorized(string message) => new(ErrorKind.Unauthorized, message);
    public static Error Forbidden(string message = "You do not have permission to perform this action.") =>
        new(ErrorKind.Forbidden, message);
    public static Error NotFound(string message) => new(ErrorKind.NotFound, message);
    public static Error Conflict(string message) => new(ErrorKind.Conflict, message);
    public static Error PayloadTooLarge(string message) => new(ErrorKind.PayloadTooLarge, message);
    public static Error TooManyRequests(string message, TimeSpan retryAfter) =>
        new(ErrorKind.TooManyRequests, message, RetryAfter: retryAfter);
    public static Error Unavailable(string message) => new(ErrorKind.Unavailable, message);
    public static Error Gone(string message) => new(ErrorKind.Gone, message);
}

using Fayvad.Shared.Results;

namespace Fayvad.Directory.Access;

/// <summary>A value and the name the caller gave it, so that an error names the field the caller sent.</summary>
internal readonly record struct Named<T>(T Value, string Field);

/// <summary>
/// One setting under two names, the client's and ours (<c>quota</c> and <c>total_quota_mb</c>, <c>is_active</c> and
/// <c>status</c>). A PUT that echoes a GET carries both: the one that differs from the current value is the change;
/// both changing to different values is a 400 naming them.
/// </summary>
internal static class EchoedFields
{
    public static Result<Named<T>?> Pick<T>(T? client, string clientField, T? ours, string oursField, T current)
        where T : struct
    {
        if (client is not { } c)
        {
            return Result<Named<T>?>.Success(ours is { } only ? new Named<T>(only, oursField) : null);
        }

        if (ours is not { } o)
        {
            return new Named<T>(c, clientField);
        }

        var same = EqualityComparer<T>.Default;
        if (same.Equals(c, o) || same.Equals(o, current))
        {
            return new Named<T>(c, clientField);
        }

        return same.Equals(c, current)
            ? new Named<T>(o, oursField)
            : Error.Validation(clientField, $"{clientField} ({c}) and {oursField} ({o}) are the same setting: give one, or the same value.");
    }
}

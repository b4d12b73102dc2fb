using System.Diagnostics.CodeAnalysis;

namespace Fayvad.Shared.Results;

/// <summary>A handler's answer: a value or an <see cref="Error"/>. Expected failures travel here, not as exceptions.</summary>
public sealed class Result<T>
{
    private readonly T? _value;

    private Result(T value)
    {
        _value = value;
    }

    private Result(Error error)
    {
        Error = error;
    }

    public Error? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public T Value => IsSuccess ? _value! : throw new InvalidOperationException($"Result failed: {Error.Message}");

    public static Result<T> Success(T value) => new(value);
    public static Result<T> Failure(Error error) => new(error);

    public static implicit operator Result<T>(T value) => new(value);
    public static implicit operator Result<T>(Error error) => new(error);

    public Result<TOut> Map<TOut>(Func<T, TOut> map) => IsSuccess ? map(_value!) : Error;
}

/// <summary>Builds a failed response for a message whose response type is a <see cref="Result{T}"/>.</summary>
public static class ResultFailure<TResponse>
{
    /// <summary>Null when <typeparamref name="TResponse"/> is not a Result.</summary>
    public static readonly Func<Error, TResponse>? Create = Build();

    private static Func<Error, TResponse>? Build()
    {
        var type = typeof(TResponse);
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Result<>))
        {
            return null;
        }

        // Looked up once per response type and bound as a delegate: a validation failure calls it directly, with no
        // reflection at dispatch (ADR 0002).
        return type.GetMethod(nameof(Result<object>.Failure))!.CreateDelegate<Func<Error, TResponse>>();
    }
}

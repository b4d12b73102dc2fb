using FluentValidation;
using Fayvad.Shared.Results;
using Mediator;

namespace Fayvad.Shared.Validation;

/// <summary>Runs every FluentValidation validator of a message before its handler; a failure never reaches the handler.</summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(
        TMessage message,
        MessageHandlerDelegate<TMessage, TResponse> next,
        CancellationToken cancellationToken)
    {
        var failures = new List<FluentValidation.Results.ValidationFailure>();
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            failures.AddRange(result.Errors);
        }

        if (failures.Count == 0)
        {
            return await next(message, cancellationToken);
        }

        var error = ValidationErrors.From(failures);
        return ResultFailure<TResponse>.Create is { } create
            ? create(error)
            : throw new ValidationException(failures);
    }
}

public static class ValidationErrors
{
    public static Error From(IReadOnlyCollection<FluentValidation.Results.ValidationFailure> failures)
    {
        var fields = failures
            .GroupBy(f => string.IsNullOrEmpty(f.PropertyName) ? "non_field_errors" : f.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        // The top-level message names every failing field so a client that shows only "error" still says what is wrong.
        var message = string.Join(" ", failures.Select(f => f.ErrorMessage).Distinct());
        return Error.Validation(message, fields);
    }
}

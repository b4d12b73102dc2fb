using Fayvad.Shared.Http;
using FluentValidation;

namespace Fayvad.Directory.Deletion;

/// <summary>The <c>?force=true</c> of a DELETE that would also delete mailboxes: true/false, 1/0, yes/no.</summary>
internal static class ForceFlag
{
    public static bool IsSet(string? value) => new QueryFlag(value ?? "").Value == true;

    /// <summary>Absent or blank is "not forced"; any other text must be one of the words <see cref="QueryFlag"/> understands.</summary>
    public static bool IsValid(string? value) => string.IsNullOrWhiteSpace(value) || new QueryFlag(value).Value is not null;

    public static IRuleBuilderOptions<T, string?> MustBeForceFlag<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(IsValid).WithMessage("force must be true or false.");
}

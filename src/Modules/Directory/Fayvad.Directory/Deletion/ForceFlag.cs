using FluentValidation;

namespace Fayvad.Directory.Deletion;

/// <summary>The <c>?force=true</c> of a DELETE that would also delete mailboxes: true/false, 1/0, yes/no.</summary>
internal static class ForceFlag
{
    public static bool IsSet(string? value) => value?.Trim().ToLowerInvariant() is "true" or "1" or "yes";

    public static bool IsValid(string? value) => value is null || value.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "false" or "0" or "no" or "";

    public static IRuleBuilderOptions<T, string?> MustBeForceFlag<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(IsValid).WithMessage("force must be true or false.");
}

using FluentValidation;
using Fayvad.Shared.Text;

namespace Fayvad.Shared.Validation;

public static class TextValidation
{
    /// <summary>A name, subject or secret: one line. A line break would start a new mail header or protocol line.</summary>
    public static IRuleBuilderOptions<T, string?> SingleLine<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => !TextRules.HasLineBreak(v) && (v is null || !v.Any(char.IsControl)))
            .WithMessage("{PropertyName} must be a single line of text (no line breaks or control characters).");
}

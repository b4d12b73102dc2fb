using System.Linq.Expressions;
using FluentValidation;

namespace Fayvad.Shared.Options;

/// <summary>
/// A validator of a configuration section. <see cref="Setting{TProperty}"/> names each failure by its path in the
/// section ("Imap.Host"), whatever the process's display-name resolver does to request fields (snake_case), so
/// <see cref="ValidatedOptions"/> can name the setting ("Mail:Imap:Host") and its environment form.
/// </summary>
public abstract class OptionsValidator<T> : AbstractValidator<T>
{
    protected IRuleBuilderInitial<T, TProperty> Setting<TProperty>(Expression<Func<T, TProperty>> setting) =>
        RuleFor(setting).Configure(rule => Name(rule, PathOf(setting)));

    protected IRuleBuilderInitialCollection<T, TElement> EachSetting<TElement>(Expression<Func<T, IEnumerable<TElement>>> setting) =>
        RuleForEach(setting).Configure(rule => Name(rule, PathOf(setting)));

    private static void Name(FluentValidation.IValidationRule rule, string path)
    {
        rule.PropertyName = path;
        rule.SetDisplayName(path);
    }

    private static string PathOf(LambdaExpression expression)
    {
        var names = new Stack<string>();
        for (var node = expression.Body; node is MemberExpression member; node = member.Expression!)
        {
            names.Push(member.Member.Name);
        }

        return string.Join('.', names);
    }
}

using FluentValidation;

namespace Fayvad.Directory.Access;

/// <summary>The rule every field that names a new or renamed address obeys (see <see cref="Addresses.MailboxNameProblem"/>).</summary>
internal static class MailboxNameRule
{
    /// <summary>
    /// Refuses a name a path or the mail server would misread, with an error naming the field and the address. A value
    /// without @ is left to the field's other rules (it is no address), unless it is the bare name of a new mailbox.
    /// </summary>
    public static IRuleBuilderOptions<T, string?> MailboxName<T>(this IRuleBuilder<T, string?> rule, string field, bool bareNameIsMailbox = false) =>
        rule.Must(v => Applies(v, bareNameIsMailbox) is not { } name || Addresses.MailboxNameProblem(name) is null)
            .WithMessage((_, v) => $"{field}: {Addresses.MailboxNameProblem(v)}");

    private static string? Applies(string? value, bool bareNameIsMailbox) =>
        value is not null && (bareNameIsMailbox || value.Contains('@', StringComparison.Ordinal)) ? value : null;
}

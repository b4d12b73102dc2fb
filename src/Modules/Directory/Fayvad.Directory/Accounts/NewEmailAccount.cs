using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Shared.Validation;

namespace Fayvad.Directory.Accounts;

/// <summary>
/// A new email account as a request describes it, for the single and the bulk create. Three clients, three forms: ours
/// (<c>address</c>), the client's page (<c>email</c>, the full address) and the client's server (<c>username</c>, a bare
/// name completed with <c>domain</c> or the organization's domain). When several are sent they must name the same address.
/// </summary>
internal sealed record NewEmailAccount(
    string? Address,
    string? Username,
    string? Email,
    string? Domain,
    string? Password,
    string? DisplayName,
    string? FirstName,
    string? LastName,
    int? QuotaMb,
    int? Quota);

/// <summary>What each field of a <see cref="NewEmailAccount"/> must be on its own; how they fit together is <see cref="NewAccounts.ResolveAsync"/>.</summary>
internal sealed class NewEmailAccountRules : AbstractValidator<NewEmailAccount>
{
    public static readonly NewEmailAccountRules Instance = new();

    public NewEmailAccountRules()
    {
        RuleFor(r => r.Email).NotEmpty().When(r => string.IsNullOrWhiteSpace(r.Address) && string.IsNullOrWhiteSpace(r.Username))
            .WithMessage("email is required: the new mailbox's full address, such as name@example.com.");
        RuleFor(r => r.Address).Cascade(CascadeMode.Stop).MailboxName("address").Must(a => Addresses.IsAddress(a!.Trim()))
            .When(r => !string.IsNullOrEmpty(r.Address))
            .WithMessage("address must be a valid email address such as name@example.com.");
        RuleFor(r => r.Email).Cascade(CascadeMode.Stop).MailboxName("email").Must(e => Addresses.IsAddress(e!.Trim()))
            .When(r => !string.IsNullOrEmpty(r.Email))
            .WithMessage("email must be a valid email address such as name@example.com.");
        RuleFor(r => r.Username).Cascade(CascadeMode.Stop).MailboxName("username", bareNameIsMailbox: true)
            .Must(u => Addresses.IsLocalPart(u!.Trim()) || Addresses.IsAddress(u.Trim()))
            .When(r => !string.IsNullOrEmpty(r.Username))
            .WithMessage("username must be a mailbox name (the part before @, e.g. j.doe) or a full address.");
        RuleFor(r => r.Domain).Must(d => Addresses.IsDomainName(d!.Trim())).When(r => !string.IsNullOrEmpty(r.Domain))
            .WithMessage("domain must be a domain name such as example.com.");
        RuleFor(r => r.Password).NotEmpty().Must(p => PasswordRules.Problem(p) is null).WithMessage((_, p) => PasswordRules.Problem(p)!);
        RuleFor(r => r.DisplayName).MaximumLength(200).SingleLine();
        RuleFor(r => r.FirstName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(r => r.LastName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(r => r.QuotaMb).GreaterThanOrEqualTo(0);
        RuleFor(r => r.Quota).GreaterThanOrEqualTo(0).WithMessage("quota (MB) must be 0 (unlimited) or more.");
        RuleFor(r => r.Quota).Equal(r => r.QuotaMb).When(r => r.Quota is not null && r.QuotaMb is not null)
            .WithMessage("quota and quota_mb are both megabytes and must agree; send one of them.");
    }

    /// <summary>
    /// Adds the failures of <paramref name="account"/> to a command's validation under the wire names of its fields,
    /// each behind <paramref name="prefix"/> (<c>accounts[2]</c>) when the account is one of a list.
    /// </summary>
    public static void Check<T>(NewEmailAccount account, ValidationContext<T> context, string? prefix = null)
    {
        foreach (var failure in Instance.Validate(account).Errors)
        {
            context.AddFailure(
                prefix is null ? failure.PropertyName : $"{prefix}.{failure.PropertyName}",
                prefix is null ? failure.ErrorMessage : $"{prefix}: {failure.ErrorMessage}");
        }
    }
}

using Fayvad.Shared.Options;
using FluentValidation;

namespace Fayvad.Mail;

/// <summary>
/// Checked when the host starts (Shared/Options/ValidatedOptions), so a missing setting stops the service with its
/// name instead of surfacing later as 503s at the first login or send.
/// </summary>
internal sealed class MailOptionsValidator : OptionsValidator<MailOptions>
{
    public MailOptionsValidator()
    {
        Setting(o => o.Imap.Host).NotEmpty().WithMessage("must be set: the IMAP server's host");
        Setting(o => o.Imap.Port).InclusiveBetween(1, 65535).WithMessage("must be a TCP port (1-65535)");
        Setting(o => o.Imap.MasterUser).NotEmpty().WithMessage("must be set: Dovecot's master user name");
        Setting(o => o.Imap.MasterPassword).NotEmpty().WithMessage("must be set: the master user's password (from the environment)");
        Setting(o => o.Imap.MasterSeparator).NotEmpty().WithMessage("must be set: Dovecot's auth_master_user_separator");
        Setting(o => o.Imap.MaxConnectionsPerUser).GreaterThan(0);
        Setting(o => o.Imap.MaxConnections).GreaterThanOrEqualTo(o => o.Imap.MaxConnectionsPerUser)
            .WithMessage("must be at least Mail:Imap:MaxConnectionsPerUser");
        Setting(o => o.Imap.ConnectTimeout).GreaterThan(TimeSpan.Zero);
        Setting(o => o.Imap.LeaseTimeout).GreaterThan(TimeSpan.Zero);
        Setting(o => o.Smtp.Host).NotEmpty().WithMessage("must be set: the submission server's host");
        Setting(o => o.Smtp.Port).InclusiveBetween(1, 65535).WithMessage("must be a TCP port (1-65535)");
        Setting(o => o.Smtp.MaxMessageBytes).GreaterThan(0);
        Setting(o => o.Smtp.MaxConcurrentSubmissions).GreaterThan(0);
        Setting(o => o.Smtp.ConnectTimeout).GreaterThan(TimeSpan.Zero);
        Setting(o => o.Smtp.ClaimLease).GreaterThanOrEqualTo(TimeSpan.FromSeconds(30))
            .WithMessage("must be at least 30 seconds (a send gives up at three quarters of it)");
        Setting(o => o.Cache.MessageCacheMegabytes).GreaterThanOrEqualTo(0);
    }
}

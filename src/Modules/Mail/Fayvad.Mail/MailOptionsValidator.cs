using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail;

/// <summary>
/// Checked when the host starts, so a missing setting stops the service with its name instead of surfacing later as
/// 503s at the first login or send.
/// </summary>
internal sealed class MailOptionsValidator(IConfiguration configuration) : IValidateOptions<MailOptions>
{
    public ValidateOptionsResult Validate(string? name, MailOptions options)
    {
        var failures = new List<string>();
        // The NOTIFY/IDLE mode is gone (docs/adr/0038): a node still configured for it must say so, not run otherwise.
        if (configuration["Mail:Push:Mode"] is { } mode && !mode.Equals("Hints", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Mail:Push:Mode={mode} is no longer supported: push comes from Dovecot's hints and the sweep (docs/adr/0038); remove the setting.");
        }

        var imap = options.Imap;
        Require(failures, !string.IsNullOrWhiteSpace(imap.Host), "Mail:Imap:Host", "the IMAP server's host");
        Require(failures, imap.Port is > 0 and <= 65535, "Mail:Imap:Port", "a TCP port (1-65535)");
        Require(failures, !string.IsNullOrWhiteSpace(imap.MasterUser), "Mail:Imap:MasterUser", "Dovecot's master user name");
        Require(failures, !string.IsNullOrEmpty(imap.MasterPassword), "Mail:Imap:MasterPassword", "the master user's password (from the environment)");
        Require(failures, !string.IsNullOrEmpty(imap.MasterSeparator), "Mail:Imap:MasterSeparator", "Dovecot's auth_master_user_separator");
        Require(failures, imap.MaxConnectionsPerUser > 0 && imap.MaxConnections >= imap.MaxConnectionsPerUser,
            "Mail:Imap:MaxConnectionsPerUser and Mail:Imap:MaxConnections", "above 0, the total at least the per-user cap");
        Require(failures, imap.ConnectTimeout > TimeSpan.Zero && imap.LeaseTimeout > TimeSpan.Zero,
            "Mail:Imap:ConnectTimeout and Mail:Imap:LeaseTimeout", "positive durations");
        Require(failures, !string.IsNullOrWhiteSpace(options.Smtp.Host), "Mail:Smtp:Host", "the submission server's host");
        Require(failures, options.Smtp.Port is > 0 and <= 65535, "Mail:Smtp:Port", "a TCP port (1-65535)");
        Require(failures, options.Smtp.MaxMessageBytes > 0, "Mail:Smtp:MaxMessageBytes", "above 0");
        Require(failures, options.Smtp.MaxConcurrentSubmissions > 0, "Mail:Smtp:MaxConcurrentSubmissions", "above 0");
        Require(failures, options.Smtp.ConnectTimeout > TimeSpan.Zero, "Mail:Smtp:ConnectTimeout", "above 0");
        Require(failures, options.Smtp.ClaimLease >= TimeSpan.FromSeconds(30), "Mail:Smtp:ClaimLease", "at least 30 seconds (a send gives up at three quarters of it)");
        Require(failures, options.Cache.MessageCacheMegabytes >= 0, "Mail:Cache:MessageCacheMegabytes", "0 (off) or more");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Require(List<string> failures, bool ok, string setting, string expected)
    {
        if (!ok)
        {
            failures.Add($"{setting} must be set: {expected} (environment: {setting.Split(' ')[0].Replace(":", "__", StringComparison.Ordinal)}).");
        }
    }
}

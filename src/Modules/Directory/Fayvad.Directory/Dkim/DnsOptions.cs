using Fayvad.Shared.Options;
using FluentValidation;
namespace Fayvad.Directory.Dkim;

/// <summary>Directory:Dns: what the records name, and which resolver the live checks ask.</summary>
internal sealed class DnsOptions
{
    /// <summary>This server's public host name (MX target, SPF a:, SRV target). Empty: mail.&lt;domain&gt;.</summary>
    public string? MailHost { get; set; }

    /// <summary>Resolver for the checks (an IP address). Empty: the system's resolvers.</summary>
    public string? Server { get; set; }

    public int Port { get; set; } = 53;

    /// <summary>Per query; the check of one domain sends its queries in parallel, so this bounds the whole check.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a replaced key stays published (and listed) so mail signed just before the switch verifies.</summary>
    public TimeSpan RetiredKeyOverlap { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Local part of the mailbox that receives DMARC aggregate reports (rua).</summary>
    public string DmarcReports { get; set; } = "postmaster";

    public int SubmissionPort { get; set; } = 587;
    public int ImapPort { get; set; } = 143;
    public int ImapsPort { get; set; } = 993;

    public string MailHostFor(string domain) => string.IsNullOrWhiteSpace(MailHost) ? "mail." + domain : MailHost.Trim().TrimEnd('.');
}

internal sealed class DnsOptionsValidator : OptionsValidator<DnsOptions>
{
    public DnsOptionsValidator()
    {
        Setting(o => o.Server).Must(s => string.IsNullOrWhiteSpace(s) || System.Net.IPAddress.TryParse(s, out _))
            .WithMessage("must be empty (the system's resolvers) or an IP address");
        Setting(o => o.Port).InclusiveBetween(1, 65535);
        Setting(o => o.SubmissionPort).InclusiveBetween(1, 65535);
        Setting(o => o.ImapPort).InclusiveBetween(1, 65535);
        Setting(o => o.ImapsPort).InclusiveBetween(1, 65535);
        Setting(o => o.Timeout).GreaterThan(TimeSpan.Zero).LessThanOrEqualTo(TimeSpan.FromMinutes(1));
        Setting(o => o.RetiredKeyOverlap).GreaterThanOrEqualTo(TimeSpan.Zero);
        Setting(o => o.DmarcReports).NotEmpty().Matches("^[A-Za-z0-9._+-]+$").WithMessage("must be a local part such as postmaster");
    }
}

using Fayvad.Directory.Model;

namespace Fayvad.Directory.Dkim;

/// <summary>One record a domain should publish. Value is in presentation form without quotes or trailing dots.</summary>
internal sealed record DnsRecordDto(string Purpose, string Name, string Type, string Value, string Explanation, string? Selector = null);

/// <summary>Where signing stands for a domain, in words an admin can act on.</summary>
internal sealed record DkimStatusDto(string Status, bool Signing, string? SigningSelector, string? PendingSelector, string Message);

internal sealed record DkimKeyView(string Selector, string PublicKey, DkimKeyState State, DateTimeOffset? RetiredAt);

/// <summary>
/// The records a hosted domain needs (MX, SPF, DKIM per live selector, DMARC, RFC 6186 SRV), built from the domain's
/// keys and Directory:Dns. The list, the generate-* routes, the checks and the test zone all read this one list.
/// </summary>
internal static class DomainDnsRecords
{
    public const string Mx = "mx";
    public const string Spf = "spf";
    public const string Dkim = "dkim";
    public const string Dmarc = "dmarc";
    public const string Srv = "srv";
    public static readonly string[] Purposes = [Mx, Spf, Dkim, Dmarc, Srv];

    /// <summary>Keys still published: pending and active ones, and retired ones within the overlap.</summary>
    public static IEnumerable<DkimKeyView> LiveKeys(IEnumerable<DkimKeyView> keys, DateTimeOffset now, DnsOptions options) =>
        keys.Where(k => k.State != DkimKeyState.Retired || k.RetiredAt is null || k.RetiredAt.Value + options.RetiredKeyOverlap > now)
            .OrderBy(k => k.State switch { DkimKeyState.Active => 0, DkimKeyState.Pending => 1, _ => 2 });

    public static List<DnsRecordDto> For(string domain, IReadOnlyCollection<DkimKeyView> keys, DnsOptions options, DateTimeOffset now)
    {
        var host = options.MailHostFor(domain);
        var records = new List<DnsRecordDto>
        {
            new(Mx, domain, "MX", $"10 {host}",
                $"Mail for {domain} is delivered to {host}. Make sure {host} has an A/AAAA record pointing at this server."),
            new(Spf, domain, "TXT", $"v=spf1 mx a:{host} ~all",
                "SPF: only this server (the domain's MX) sends mail for the domain; others soft-fail. Change ~all to -all once all mail flows through here. Publish exactly one v=spf1 record."),
        };

        foreach (var key in LiveKeys(keys, now, options))
        {
            var role = key.State switch
            {
                DkimKeyState.Active => "the key this server signs with now",
                DkimKeyState.Pending => "a new key: signing moves to it once a check sees this record",
                _ => "the previous key, kept so mail signed with it still verifies; remove it after " +
                     (key.RetiredAt!.Value + options.RetiredKeyOverlap).ToString("yyyy-MM-dd"),
            };
            records.Add(new(Dkim, $"{key.Selector}._domainkey.{domain}", "TXT", DkimKeyFactory.TxtValue(key.PublicKey),
                $"DKIM public key, selector {key.Selector} ({role}). Receivers check signatures with it.", key.Selector));
        }

        records.Add(new(Dmarc, $"_dmarc.{domain}", "TXT", $"v=DMARC1; p=none; rua=mailto:{options.DmarcReports}@{domain}; adkim=r; aspf=r",
            $"DMARC: a starting policy that only reports (p=none) to {options.DmarcReports}@{domain}. Once the reports show all your mail passes, move to p=quarantine, then p=reject."));
        records.Add(new(Srv, $"_submission._tcp.{domain}", "SRV", $"0 1 {options.SubmissionPort} {host}",
            "RFC 6186: mail clients find the submission server (sending) here."));
        records.Add(new(Srv, $"_imap._tcp.{domain}", "SRV", $"0 1 {options.ImapPort} {host}",
            "RFC 6186: mail clients find the IMAP server (STARTTLS) here."));
        records.Add(new(Srv, $"_imaps._tcp.{domain}", "SRV", $"0 1 {options.ImapsPort} {host}",
            "RFC 6186: mail clients find the IMAP server (implicit TLS) here."));
        return records;
    }

    public static DkimStatusDto Status(bool domainEnabled, bool dkimEnabled, IReadOnlyCollection<DkimKeyView> keys)
    {
        var active = keys.FirstOrDefault(k => k.State == DkimKeyState.Active);
        var pending = keys.Where(k => k.State == DkimKeyState.Pending).Select(k => k.Selector).LastOrDefault();
        if (!domainEnabled)
        {
            return new("disabled", false, null, pending, "The domain is disabled: nothing is signed for it.");
        }

        if (!dkimEnabled)
        {
            return new("dkim_off", false, null, pending, "DKIM is turned off for this domain (dkim_enabled false): mail goes out unsigned.");
        }

        if (keys.Count == 0)
        {
            return new("no_key", false, null, null,
                "This domain has no DKIM key yet: mail goes out unsigned. POST dkim/rotate/ to make one, publish it, then run dns-check.");
        }

        if (active is null)
        {
            return new("waiting_for_dns", false, null, pending,
                $"Mail goes out unsigned until a check sees the DKIM record of selector {pending}: publish it, then run dns-check.");
        }

        return pending is null
            ? new("signing", true, active.Selector, null, $"Mail is signed with selector {active.Selector}.")
            : new("signing", true, active.Selector, pending,
                $"Mail is signed with selector {active.Selector}; it moves to {pending} once a check sees that record.");
    }
}

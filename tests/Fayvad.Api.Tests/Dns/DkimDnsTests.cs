using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MimeKit;

namespace Fayvad.Api.Tests.Dns;

/// <summary>
/// DKIM signing by OpenDKIM (Postfix's submission milter), the records dns/ lists, and live checks against the stack's
/// loopback NSD; signatures verified by dkimpy against the key published there (docs/adr/0019).
/// </summary>
public sealed class DkimDnsTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task DnsPageListsEveryRecordAndTheCheckSeesACorrectZone()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);

        var dns = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/dns/", Ct), HttpStatusCode.OK);
        var records = dns.GetProperty("records").EnumerateArray().ToList();
        var selector = "fy" + DateTime.UtcNow.ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            [("MX", org.Domain), ("TXT", org.Domain), ("TXT", $"{selector}._domainkey.{org.Domain}"), ("TXT", $"_dmarc.{org.Domain}"),
             ("SRV", $"_submission._tcp.{org.Domain}"), ("SRV", $"_imap._tcp.{org.Domain}"), ("SRV", $"_imaps._tcp.{org.Domain}")],
            records.Select(r => (r.GetProperty("type").GetString(), r.GetProperty("name").GetString())).ToList());
        Assert.All(records, r => Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("explanation").GetString())));
        Assert.Equal($"10 {TestDns.MailHost}", records[0].GetProperty("value").GetString());
        Assert.StartsWith("v=DKIM1; k=rsa; p=MII", records[2].GetProperty("value").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("v=DMARC1; p=none; rua=mailto:", records[3].GetProperty("value").GetString(), StringComparison.Ordinal);
        Assert.Equal("waiting_for_dns", dns.GetProperty("dkim").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, dns.GetProperty("last_check").ValueKind);

        // The client's generate-* answer from the same list, cut to one purpose.
        var dkim = await TestApi.ReadAsync(await admin.PostAsync($"{Root}/domains/{org.DomainId}/generate-dkim/", null, Ct), HttpStatusCode.OK);
        Assert.Equal(records[2].GetProperty("value").GetString(), dkim.GetProperty("records").EnumerateArray().Single().GetProperty("value").GetString());

        // Nothing published yet: every record is missing, and signing waits.
        var before = await CheckAsync(admin, org.DomainId, "dns-check");
        Assert.Equal("problems", before.GetProperty("status").GetString());
        Assert.All(before.GetProperty("records").EnumerateArray(), r => Assert.Equal("missing", r.GetProperty("status").GetString()));
        Assert.Equal("waiting_for_dns", before.GetProperty("dkim").GetProperty("status").GetString());

        await TestDns.PublishFromApiAsync(admin, org.DomainId, org.Domain, Ct);
        var after = await CheckAsync(admin, org.DomainId, "verify-dns");
        Assert.Equal("ok", after.GetProperty("status").GetString());
        Assert.All(after.GetProperty("records").EnumerateArray(), r =>
        {
            Assert.Equal("ok", r.GetProperty("status").GetString());
            Assert.Contains(r.GetProperty("expected").GetString(), r.GetProperty("found").EnumerateArray().Select(f => f.GetString()));
        });
        Assert.Equal("signing", after.GetProperty("dkim").GetProperty("status").GetString());
        Assert.Equal(selector, after.GetProperty("dkim").GetProperty("signing_selector").GetString());

        // The last result is kept and shown on the domain and on dns/.
        var domain = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/", Ct), HttpStatusCode.OK);
        Assert.Equal("ok", domain.GetProperty("dns_status").GetString());
        Assert.Equal(JsonValueKind.String, domain.GetProperty("dns_checked_at").ValueKind);
        dns = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal("ok", dns.GetProperty("last_check").GetProperty("status").GetString());
    }

    [Fact]
    public async Task BrokenRecordsAreReportedMissingOrWrongAndTheKeyDoesNotSign()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        await TestDns.PublishFromApiAsync(admin, org.DomainId, org.Domain, Ct, r => r switch
        {
            { Type: "MX" } => r with { Value = "10 elsewhere.example" },
            { Type: "TXT" } when r.Value.StartsWith("v=spf1", StringComparison.Ordinal) => null,
            { Type: "TXT" } when r.Value.StartsWith("v=DKIM1", StringComparison.Ordinal) => r with { Value = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong" },
            { Type: "TXT" } when r.Value.StartsWith("v=DMARC1", StringComparison.Ordinal) => r with { Value = "v=DMARC1; p=maybe" },
            { Name: var n } when n.StartsWith("_imaps.", StringComparison.Ordinal) => null,
            { Name: var n } when n.StartsWith("_imap.", StringComparison.Ordinal) => r with { Value = r.Value.Replace(" 143 ", " 1143 ", StringComparison.Ordinal) },
            _ => r,
        });

        var check = await CheckAsync(admin, org.DomainId, "dns-check");
        Assert.Equal("problems", check.GetProperty("status").GetString());
        var status = check.GetProperty("records").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!.Split('.')[0] + "/" + r.GetProperty("purpose").GetString(), r => r.GetProperty("status").GetString());
        Assert.Equal("wrong", status[$"{org.Slug}/mx"]);
        Assert.Equal("missing", status[$"{org.Slug}/spf"]);
        Assert.Equal("wrong", status.Single(s => s.Key.EndsWith("/dkim", StringComparison.Ordinal)).Value);
        Assert.Equal("wrong", status["_dmarc/dmarc"]);
        Assert.Equal("ok", status["_submission/srv"]);
        Assert.Equal("wrong", status["_imap/srv"]);
        Assert.Equal("missing", status["_imaps/srv"]);
        Assert.Equal("waiting_for_dns", check.GetProperty("dkim").GetProperty("status").GetString());

        // verify-spf checks SPF alone; the stored result keeps the other records' last status.
        var spf = await CheckAsync(admin, org.DomainId, "verify-spf");
        var only = Assert.Single(spf.GetProperty("records").EnumerateArray());
        Assert.Equal("spf", only.GetProperty("purpose").GetString());
        Assert.Equal("missing", only.GetProperty("status").GetString());
        Assert.Equal("problems", spf.GetProperty("status").GetString());

        // Two SPF records are an error for receivers: wrong, even if one is right.
        var records = await TestDns.RecordsAsync(admin, org.DomainId, Ct);
        await TestDns.PublishAsync(org.Domain, [.. records, new ZoneRecord(org.Domain, "TXT", "v=spf1 include:other.example -all")], Ct);
        spf = await CheckAsync(admin, org.DomainId, "verify-spf");
        Assert.Equal("wrong", spf.GetProperty("records")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task OnlyAdminsOfTheDomainsOrganizationSeeItsRecordsOrCheckIt()
    {
        var mine = await Api.CreateOrgAsync();
        var other = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(mine.AdminUsername);
        var user = await MailboxAsync("plain", mine);
        // Another organization's admin is told the domain is not found; a plain user, that the routes are not theirs.
        foreach (var (client, id, status) in new[] { (admin, other.DomainId, HttpStatusCode.NotFound), (user.Client, mine.DomainId, HttpStatusCode.Forbidden) })
        {
            var mentions = status == HttpStatusCode.NotFound ? "domain" : "permission";
            await TestApi.AssertErrorAsync(await client.GetAsync($"{Root}/domains/{id}/dns/", Ct), status, mentions);
            await TestApi.AssertErrorAsync(await client.GetAsync($"{Root}/domains/{id}/dns-check/", Ct), status, mentions);
            await TestApi.AssertErrorAsync(await client.PostAsync($"{Root}/domains/{id}/dkim/rotate/", null, Ct), status, mentions);
        }

        var superadmin = await Api.SuperadminAsync();
        await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/domains/{other.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.domain_dns_checks WHERE domain_id = ANY($1)", new[] { mine.DomainId, other.DomainId }));
    }

    [Fact]
    public async Task MailSentThroughTheApiIsSignedOnceTheKeyIsSeenAndVerifiesAgainstTheTestDns()
    {
        var sender = await MailboxAsync("sender");
        var to = await MailboxAsync("to", sender.Org);
        var admin = await Api.AsAsync(sender.Org.AdminUsername);

        // Before any check has seen the key, mail goes out unsigned (and is not refused).
        var unsigned = await SendAndReceiveAsync(sender, to, "before");
        Assert.DoesNotContain(unsigned.Headers, h => h.Id == HeaderId.DkimSignature);

        await TestDns.PublishFromApiAsync(admin, sender.Org.DomainId, sender.Org.Domain, Ct);
        var check = await CheckAsync(admin, sender.Org.DomainId, "verify-dkim");
        Assert.Equal("signing", check.GetProperty("dkim").GetProperty("status").GetString());
        var selector = check.GetProperty("dkim").GetProperty("signing_selector").GetString();

        var signed = await SendAndReceiveAsync(sender, to, "after");
        var signature = Assert.Single(signed.Headers, h => h.Id == HeaderId.DkimSignature).Value;
        Assert.Contains($"d={sender.Org.Domain};", signature, StringComparison.Ordinal);
        Assert.Contains($"s={selector};", signature, StringComparison.Ordinal);
        var (exit, output) = await TestDns.VerifyDkimAsync(Raw(signed), Ct);
        Assert.True(exit == 0, output);
        Assert.Equal($"{selector} pass", output);

        // Altered after signing: the body hash no longer matches.
        var altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Raw(signed)).Replace("Hello from after", "Hello from someone else", StringComparison.Ordinal));
        (exit, output) = await TestDns.VerifyDkimAsync(altered, Ct);
        Assert.Equal(1, exit);
        Assert.StartsWith($"{selector} fail\nbody hash mismatch", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotationPublishesANewSelectorAndSigningMovesOnlyOnceTheCheckSeesIt()
    {
        var sender = await MailboxAsync("rot");
        var to = await MailboxAsync("to", sender.Org);
        var admin = await Api.AsAsync(sender.Org.AdminUsername);
        await TestDns.PublishFromApiAsync(admin, sender.Org.DomainId, sender.Org.Domain, Ct);
        var first = (await CheckAsync(admin, sender.Org.DomainId, "dns-check")).GetProperty("dkim").GetProperty("signing_selector").GetString()!;

        var rotated = await TestApi.ReadAsync(await admin.PostAsync($"{Root}/domains/{sender.Org.DomainId}/dkim/rotate/", null, Ct), HttpStatusCode.OK);
        var second = rotated.GetProperty("dkim").GetProperty("pending_selector").GetString()!;
        Assert.NotEqual(first, second);
        Assert.StartsWith(first, second, StringComparison.Ordinal);
        Assert.Equal(first, rotated.GetProperty("dkim").GetProperty("signing_selector").GetString());
        Assert.Equal([first, second], DkimSelectors(rotated));
        // One rotation at a time: the next waits until this one is seen.
        await TestApi.AssertErrorAsync(await admin.PostAsync($"{Root}/domains/{sender.Org.DomainId}/dkim/rotate/", null, Ct), HttpStatusCode.Conflict, second);

        // Not yet in DNS: the check says so and signing stays on the old key.
        var check = await CheckAsync(admin, sender.Org.DomainId, "verify-dkim");
        Assert.Equal("missing", check.GetProperty("records").EnumerateArray().Single(r => r.GetProperty("selector").GetString() == second).GetProperty("status").GetString());
        Assert.Equal(first, check.GetProperty("dkim").GetProperty("signing_selector").GetString());
        var old = await SendAndReceiveAsync(sender, to, "old key");
        Assert.Contains($"s={first};", old.Headers[HeaderId.DkimSignature], StringComparison.Ordinal);

        // Published beside the old one: the check moves signing; the old key stays listed for the overlap.
        await TestDns.PublishFromApiAsync(admin, sender.Org.DomainId, sender.Org.Domain, Ct);
        check = await CheckAsync(admin, sender.Org.DomainId, "verify-dkim");
        Assert.Equal(second, check.GetProperty("dkim").GetProperty("signing_selector").GetString());
        var dns = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{sender.Org.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal([second, first], DkimSelectors(dns));
        var fresh = await SendAndReceiveAsync(sender, to, "new key");
        Assert.Contains($"s={second};", fresh.Headers[HeaderId.DkimSignature], StringComparison.Ordinal);

        // During the overlap mail signed with either key verifies.
        Assert.Equal((0, $"{first} pass"), await TestDns.VerifyDkimAsync(Raw(old), Ct));
        Assert.Equal((0, $"{second} pass"), await TestDns.VerifyDkimAsync(Raw(fresh), Ct));
    }

    [Fact]
    public async Task ADisabledDomainOrDkimTurnedOffIsNotSignedAndAKeylessDomainSendsUnsignedAndSaysSo()
    {
        var sender = await MailboxAsync("dis");
        var to = await MailboxAsync("to", sender.Org);
        var admin = await Api.AsAsync(sender.Org.AdminUsername);
        var superadmin = await Api.SuperadminAsync();
        await TestDns.PublishFromApiAsync(admin, sender.Org.DomainId, sender.Org.Domain, Ct);
        Assert.Equal("signing", (await CheckAsync(admin, sender.Org.DomainId, "dns-check")).GetProperty("dkim").GetProperty("status").GetString());

        // A second, signing domain whose mailboxes cannot log in once it is disabled: its header From is used by a
        // mailbox of the first domain straight through submission (Postfix checks only the envelope sender).
        var other = await Api.CreateOrgAsync();
        var otherAdmin = await Api.AsAsync(other.AdminUsername);
        await TestDns.PublishFromApiAsync(otherAdmin, other.DomainId, other.Domain, Ct);
        await CheckAsync(otherAdmin, other.DomainId, "dns-check");
        Assert.NotNull((await SubmitAsync(sender.Address, $"x@{other.Domain}", to, "enabled other")).Headers[HeaderId.DkimSignature]);
        await TestApi.ReadAsync(await superadmin.PostAsync($"{Root}/domains/{other.DomainId}/disable/", null, Ct), HttpStatusCode.OK);
        Assert.Null((await SubmitAsync(sender.Address, $"x@{other.Domain}", to, "disabled other")).Headers[HeaderId.DkimSignature]);
        var otherDns = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/domains/{other.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal("disabled", otherDns.GetProperty("dkim").GetProperty("status").GetString());

        // DKIM turned off on the domain: unsigned, and dns/ says why.
        await TestApi.ReadAsync(await superadmin.PatchAsJsonAsync($"{Root}/domains/{sender.Org.DomainId}/", new { dkim_enabled = false }, Ct), HttpStatusCode.OK);
        Assert.Null((await SendAndReceiveAsync(sender, to, "dkim off")).Headers[HeaderId.DkimSignature]);
        var dns = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{sender.Org.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal("dkim_off", dns.GetProperty("dkim").GetProperty("status").GetString());
        await TestApi.ReadAsync(await superadmin.PatchAsJsonAsync($"{Root}/domains/{sender.Org.DomainId}/", new { dkim_enabled = true }, Ct), HttpStatusCode.OK);
        Assert.NotNull((await SendAndReceiveAsync(sender, to, "dkim on")).Headers[HeaderId.DkimSignature]);

        // A domain made before keys existed has none: the send still works, unsigned, and dns/ says so.
        await ApiFactory.ScalarAsync("DELETE FROM directory.dkim_keys WHERE domain_id = $1", sender.Org.DomainId);
        Assert.Null((await SendAndReceiveAsync(sender, to, "no key")).Headers[HeaderId.DkimSignature]);
        dns = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{sender.Org.DomainId}/dns/", Ct), HttpStatusCode.OK);
        Assert.Equal("no_key", dns.GetProperty("dkim").GetProperty("status").GetString());
        Assert.Contains("unsigned", dns.GetProperty("dkim").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(dns.GetProperty("records").EnumerateArray(), r => r.GetProperty("purpose").GetString() == "dkim");
        // dkim/rotate makes the first key.
        var rotated = await TestApi.ReadAsync(await admin.PostAsync($"{Root}/domains/{sender.Org.DomainId}/dkim/rotate/", null, Ct), HttpStatusCode.OK);
        Assert.Equal("waiting_for_dns", rotated.GetProperty("dkim").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AResolverThatNeverAnswersIsUnreachableWithinTheTimeoutAndBlocksNothingElse()
    {
        var org = await Api.CreateOrgAsync();
        // A loopback UDP socket that reads nothing: queries to it time out.
        using var blackHole = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)blackHole.Client.LocalEndPoint!).Port;
        await using var node = Factory.WithWebHostBuilder(b => b
            .UseSetting("Directory:Dns:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("Directory:Dns:Timeout", "00:00:03"));
        var admin = node.CreateClient();
        var login = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/auth/login/", new { username = org.AdminUsername, password = TestApi.Password }, Ct), HttpStatusCode.OK);
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());

        var check = admin.GetAsync($"{Root}/domains/{org.DomainId}/dns-check/", Ct);
        // Meanwhile the same node answers other requests.
        await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/", Ct), HttpStatusCode.OK);
        Assert.False(check.IsCompleted, "the check should still be waiting on the resolver");

        var result = await TestApi.ReadAsync(await check, HttpStatusCode.OK);
        Assert.Equal("unreachable", result.GetProperty("status").GetString());
        Assert.All(result.GetProperty("records").EnumerateArray(), r =>
        {
            Assert.Equal("unreachable", r.GetProperty("status").GetString());
            Assert.Contains($"127.0.0.1:{port}", r.GetProperty("detail").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal("waiting_for_dns", result.GetProperty("dkim").GetProperty("status").GetString());
    }

    private async Task<JsonElement> CheckAsync(HttpClient admin, long domainId, string route)
    {
        var response = route == "dns-check"
            ? await admin.GetAsync($"{Root}/domains/{domainId}/{route}/", Ct)
            : await admin.PostAsync($"{Root}/domains/{domainId}/{route}/", null, Ct);
        return await TestApi.ReadAsync(response, HttpStatusCode.OK);
    }

    private static List<string?> DkimSelectors(JsonElement dns) =>
        [.. dns.GetProperty("records").EnumerateArray().Where(r => r.GetProperty("purpose").GetString() == "dkim").Select(r => r.GetProperty("selector").GetString())];

    private async Task<MimeMessage> SendAndReceiveAsync(Mailbox from, Mailbox to, string what)
    {
        var subject = Unique(what);
        await TestApi.ReadAsync(await from.Client.PostAsJsonAsync($"{Root}/email/send/",
            new { to_emails = new[] { to.Address }, subject, body = $"Hello from {what}.\nSecond line." }, Ct), HttpStatusCode.OK);
        return await ReceiveAsync(to.Address, subject);
    }

    /// <summary>Straight into Postfix's submission (as the API does), with a header From of the caller's choosing.</summary>
    private async Task<MimeMessage> SubmitAsync(string login, string headerFrom, Mailbox to, string what)
    {
        var subject = Unique(what);
        var message = MailKitTestKit.Message(headerFrom, to.Address, subject, $"Hello from {what}.");
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", int.Parse(StackSettings.Get("SUBMISSION_PORT"), System.Globalization.CultureInfo.InvariantCulture), SecureSocketOptions.None, Ct);
        await smtp.AuthenticateAsync(login, TestApi.Password, Ct);
        await smtp.SendAsync(message, MailboxAddress.Parse(login), [MailboxAddress.Parse(to.Address)], Ct);
        await smtp.DisconnectAsync(true, Ct);
        return await ReceiveAsync(to.Address, subject);
    }

    /// <summary>The delivered copy, byte for byte, from the recipient's INBOX.</summary>
    private static async Task<MimeMessage> ReceiveAsync(string address, string subject)
    {
        using var imap = await MailKitTestKit.OpenAsync(address, Ct);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var uids = await imap.Inbox.SearchAsync(SearchQuery.SubjectContains(subject), Ct);
            if (uids.Count > 0)
            {
                // The bytes as stored: a re-serialized MimeMessage could differ from what was signed.
                using var raw = new MemoryStream();
                await using (var stream = await imap.Inbox.GetStreamAsync(uids[0], string.Empty, Ct))
                {
                    await stream.CopyToAsync(raw, Ct);
                }

                await imap.DisconnectAsync(true, Ct);
                var bytes = raw.ToArray();
                var message = MimeMessage.Load(new MemoryStream(bytes));
                RawBytes.Add(message, bytes);
                return message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{subject}' did not arrive in {address} within 15 s");
            await Task.Delay(100, Ct);
            await imap.NoOpAsync(Ct);
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MimeMessage, byte[]> RawBytes = [];

    private static byte[] Raw(MimeMessage message) => RawBytes.TryGetValue(message, out var bytes) ? bytes : throw new InvalidOperationException("not received");
}

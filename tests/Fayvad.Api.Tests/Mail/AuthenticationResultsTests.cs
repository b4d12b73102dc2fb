using System.Net;
using System.Text.Json;
using MimeKit;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// The message detail shows a trusted receiving server's SPF/DKIM/DMARC verdicts, never ones a sender wrote itself.
/// The messages are appended over IMAP, so what is read is exactly what the test wrote (on port 25 the stack's own
/// verifier stamps its header too: Dns/InboundAuthenticationTests).
/// </summary>
public sealed class AuthenticationResultsTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task TheReceivingServersVerdictsAreParsedAndASendersOwnHeaderIsIgnored()
    {
        var to = await MailboxAsync("ar");
        var spoof = MailKitTestKit.Message("ceo@bank.example", to.Address, Unique("Wire"), "Pay now.");
        // Above: what a receiving server wrote (trusted in the tests: Mail:AuthenticationResults:TrustedServers).
        spoof.Headers.Insert(0, new Header("Authentication-Results",
            $" {TestDns.MailHost}; spf=softfail smtp.mailfrom=ceo@bank.example; dkim=fail (body hash did not verify) header.d=bank.example header.s=s1; dmarc=fail header.from=bank.example"));
        // Below: what the sender put in to look genuine.
        spoof.Headers.Add(new Header("Authentication-Results", " mx.bank.example; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example"));
        await MailKitTestKit.AppendAsync(to.Address, "INBOX", [spoof], Ct);

        var listed = await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == spoof.Subject, Ct);
        var detail = await TestApi.ReadAsync(await to.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
        var results = detail.GetProperty("authentication_results");
        Assert.Equal(TestDns.MailHost, results.GetProperty("authserv_id").GetString());
        var verdicts = results.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("method").GetString(), r.GetProperty("result").GetString(), r.GetProperty("domain").GetString())).ToList();
        Assert.Equal([("spf", "softfail", "bank.example"), ("dkim", "fail", "bank.example"), ("dmarc", "fail", "bank.example")], verdicts);
        // Existing fields keep their names.
        Assert.Equal(spoof.Subject, detail.GetProperty("subject").GetString());

        // A message with only a sender-written header shows none.
        var plain = MailKitTestKit.Message("someone@bank.example", to.Address, Unique("Hello"), "Hi.");
        plain.Headers.Add(new Header("Authentication-Results", " mx.bank.example; dkim=pass header.d=bank.example"));
        await MailKitTestKit.AppendAsync(to.Address, "INBOX", [plain], Ct);
        listed = await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == plain.Subject, Ct);
        detail = await TestApi.ReadAsync(await to.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("authentication_results").ValueKind);
    }
}

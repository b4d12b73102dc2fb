using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MimeKit;
using MimeKit.Cryptography;

namespace Fayvad.Api.Tests.Dns;

/// <summary>
/// Mail arriving on the inbound (port 25) service as an outside server sends it: OpenDKIM's verifier checks its DKIM
/// signature against the key in the stack's loopback NSD and stamps Authentication-Results with the stack's
/// authserv-id, which the API trusts; an Authentication-Results header a sender wrote with that id never counts
/// (docs/adr/0030).
/// </summary>
public sealed class InboundAuthenticationTests(ApiFactory factory) : MailTest(factory)
{
    /// <summary>The mail host's name: what the verifier stamps and what api.env makes the API trust.</summary>
    private static string AuthservId => StackSettings.Get("AUTHSERV_ID");

    [Fact]
    public async Task MailSignedByAnOutsideDomainShowsDkimPassAndTheSameMailAlteredShowsDkimFail()
    {
        var to = await MailboxAsync("in");
        var sender = await OutsideSenderAsync();

        var signed = sender.Signed(to.Address, Unique("Figures"), "The figures for November.\r\nRegards.\r\n");
        var detail = await DeliverAndReadAsync(to, signed);
        Assert.Equal([("dkim", "pass", sender.Domain)], Verdicts(detail, AuthservId));

        // The stored message carries exactly one Authentication-Results, on top, stamped by our verifier.
        var stamped = Assert.Single(await AuthenticationResultsHeadersAsync(to, detail));
        Assert.StartsWith($"{AuthservId};", stamped, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", stamped, StringComparison.Ordinal);
        Assert.Contains($"header.d={sender.Domain}", stamped, StringComparison.Ordinal);

        // Altered in transit after signing: the body hash no longer matches.
        var altered = sender.Signed(to.Address, Unique("Figures"), "The figures for November.\r\nRegards.\r\n");
        ((TextPart)altered.Body!).Text = "The figures for November: pay to account 12345.\r\nRegards.\r\n";
        detail = await DeliverAndReadAsync(to, altered);
        Assert.Equal([("dkim", "fail", sender.Domain)], Verdicts(detail, AuthservId));

        // A header signed by the key changed after signing fails too.
        var renamed = sender.Signed(to.Address, Unique("Invoice"), "Invoice attached.\r\n");
        renamed.Subject = Unique("Urgent invoice");
        detail = await DeliverAndReadAsync(to, renamed);
        Assert.Equal([("dkim", "fail", sender.Domain)], Verdicts(detail, AuthservId));
    }

    [Fact]
    public async Task UnsignedMailIsStampedDkimNone()
    {
        var to = await MailboxAsync("in");
        var unsigned = MailKitTestKit.Message($"news@{ApiFactory.RunPrefix}unsigned.test", to.Address, Unique("Newsletter"), "Hello.");
        var detail = await DeliverAndReadAsync(to, unsigned);
        Assert.Equal([("dkim", "none", null)], Verdicts(detail, AuthservId));
    }

    [Fact]
    public async Task AnAuthenticationResultsHeaderTheSenderWroteWithOurAuthservIdIsRemovedAndNeverTrusted()
    {
        var to = await MailboxAsync("in");
        var spoof = MailKitTestKit.Message("ceo@bank.example", to.Address, Unique("Wire"), "Pay now.");
        // Each form a reader takes for our own id: plain, another case, quoted, after nested comments, with a version,
        // and folded.
        string[] forged =
        [
            $" {AuthservId}; dkim=pass header.d=bank.example; spf=pass smtp.mailfrom=ceo@bank.example; dmarc=pass header.from=bank.example",
            $" {AuthservId.ToUpperInvariant()}; dkim=pass header.d=bank.example",
            $" \"{AuthservId}\"; dmarc=pass header.from=bank.example",
            $" (checked (twice) by our gateway) {AuthservId}; spf=pass smtp.mailfrom=bank.example",
            $" {AuthservId} 1; dkim=pass header.d=bank.example",
            $"\n\t{AuthservId};\n\tdkim=pass header.d=bank.example",
        ];
        foreach (var value in forged)
        {
            // Written byte for byte as given (MimeKit would otherwise refold the value).
            var header = new Header("Authentication-Results", "x");
            header.SetRawValue(Encoding.ASCII.GetBytes(value + "\n"));
            spoof.Headers.Insert(0, header);
        }

        // Each of them is read as ours by the API's parser: were one left in, it would count.
        foreach (var value in forged)
        {
            Assert.True(AuthenticationResults.TryParse(Encoding.ASCII.GetBytes(value), out var parsed), value);
            Assert.True(string.Equals(AuthservId, parsed.AuthenticationServiceIdentifier, StringComparison.OrdinalIgnoreCase), value);
        }

        var detail = await DeliverAndReadAsync(to, spoof);
        // Only the verifier's own verdict: the message is unsigned.
        Assert.Equal([("dkim", "none", null)], Verdicts(detail, AuthservId));
        var stamped = Assert.Single(await AuthenticationResultsHeadersAsync(to, detail));
        Assert.DoesNotContain("pass", stamped, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>An outside domain (not hosted here) with a fresh RSA key whose record is published in the test NSD.</summary>
    private static async Task<OutsideSender> OutsideSenderAsync()
    {
        var domain = $"{ApiFactory.RunPrefix}out-{Guid.NewGuid():N}"[..(ApiFactory.RunPrefix.Length + 12)] + ".test";
        const string selector = "s2026";
        using var rsa = RSA.Create(2048);
        await TestDns.PublishAsync(domain,
            [new ZoneRecord($"{selector}._domainkey.{domain}", "TXT", "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()))], Ct);
        return new OutsideSender(domain, selector, rsa.ExportRSAPrivateKeyPem());
    }

    private sealed record OutsideSender(string Domain, string Selector, string PrivateKeyPem)
    {
        /// <summary>Signed as the outside domain's own server would (relaxed/relaxed, rsa-sha256).</summary>
        public MimeMessage Signed(string to, string subject, string text)
        {
            var message = MailKitTestKit.Message($"billing@{Domain}", to, subject, text);
            // 7-bit before signing: nothing the SMTP client re-encodes afterwards can change the signed bytes.
            message.Prepare(EncodingConstraint.SevenBit);
            var signer = new DkimSigner(new MemoryStream(Encoding.ASCII.GetBytes(PrivateKeyPem)), Domain, Selector)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
            return message;
        }
    }

    /// <summary>Into Postfix's inbound port as an outside server delivers, then the message detail the client reads.</summary>
    private static async Task<JsonElement> DeliverAndReadAsync(Mailbox to, MimeMessage message)
    {
        await MailKitTestKit.DeliverAsync(message, Ct);
        var listed = await MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => MailKitTestKit.Subject(m) == message.Subject, Ct);
        return await TestApi.ReadAsync(await to.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);
    }

    private static List<(string?, string?, string?)> Verdicts(JsonElement detail, string authservId)
    {
        var results = detail.GetProperty("authentication_results");
        Assert.Equal(JsonValueKind.Object, results.ValueKind);
        Assert.Equal(authservId, results.GetProperty("authserv_id").GetString());
        return [.. results.GetProperty("results").EnumerateArray().Select(r =>
            (r.GetProperty("method").GetString(), r.GetProperty("result").GetString(),
             r.TryGetProperty("domain", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null))];
    }

    /// <summary>Every Authentication-Results header of the message as stored, top first.</summary>
    private static async Task<List<string>> AuthenticationResultsHeadersAsync(Mailbox to, JsonElement detail)
    {
        var raw = await to.Client.GetAsync($"{Root}/email/messages/{detail.GetProperty("id").GetString()}/raw/", Ct);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        var stored = await MimeMessage.LoadAsync(await raw.Content.ReadAsStreamAsync(Ct), Ct);
        return [.. stored.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value.Trim())];
    }
}

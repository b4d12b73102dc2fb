using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Fayvad.Api.Tests.Faults;
using Fayvad.Api.Tests.Mail;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace Fayvad.Api.Tests.Dns;

/// <summary>
/// The demo domain as `deploy/stack.sh up` leaves it: its records (what GET dns/ lists) in the stack's NSD and its key
/// checked, so the first message a demo user sends is signed and verifies; and so it stays when the selector's month
/// changes and the key is rotated (docs/adr/0019). Each test runs `up` itself first: whatever other tests did to DNS,
/// this is the state `up` makes.
/// </summary>
public sealed class DemoDomainSigningTests(ApiFactory factory) : ApiTest(factory)
{
    private const string Demo = "fayvad.com";

    private static string Sender => StackSettings.Get("DEMO_USER_USER");

    private static string Recipient => StackSettings.Get("DEMO_USER2_USER");

    [Fact]
    public async Task AfterUpADemoUsersMessageIsSignedForTheDemoDomainAndVerifiesAtTheStacksInboundServer()
    {
        await UpAsync();
        var selector = await ActiveSelectorAsync();

        var sent = await SendAsDemoUserAsync("first");
        AssertSignedWith(sent.Message, selector);
        // The key the signature names is the one in the stack's DNS.
        Assert.Equal((0, $"{selector} pass"), await TestDns.VerifyDkimAsync(sent.Raw, Ct));
        // Handed to the inbound server as a receiving MX gets it: our verifier finds the signature good.
        var stamped = await RelayAndReadStampAsync(sent);
        Assert.StartsWith($"{StackSettings.Get("AUTHSERV_ID")};", stamped, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", stamped, StringComparison.Ordinal);
        Assert.Contains($"header.d={Demo}", stamped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningContinuesWhenTheSelectorsMonthHasPassedAndAcrossARotation()
    {
        await UpAsync();
        var now = DateTimeOffset.UtcNow;
        var domainId = Convert.ToInt64(await ApiFactory.ScalarAsync("SELECT id FROM directory.domains WHERE name = $1", Demo), CultureInfo.InvariantCulture);

        // The key was made last month: its selector says so (the key `up` made in November is checked in December).
        var taken = (string)(await ApiFactory.ScalarAsync("SELECT string_agg(selector, ' ') FROM directory.dkim_keys WHERE domain_id = $1", domainId))!;
        var lastMonth = "fy" + now.AddMonths(-1).ToString("yyyyMM", CultureInfo.InvariantCulture);
        var old = new[] { "" }.Concat(Enumerable.Range('b', 25).Select(c => ((char)c).ToString()))
            .Append(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))).Select(s => lastMonth + s)
            .First(s => !taken.Split(' ').Contains(s));
        await ApiFactory.ScalarAsync(
            "UPDATE directory.dkim_keys SET selector = $1, created_at = $2, activated_at = $2 WHERE domain_id = $3 AND state = 'active'",
            old, now.AddMonths(-1), domainId);
        await UpAsync();
        Assert.Equal(old, await ActiveSelectorAsync());
        var november = await SendAsDemoUserAsync("last month's key");
        AssertSignedWith(november.Message, old);
        Assert.Equal((0, $"{old} pass"), await TestDns.VerifyDkimAsync(november.Raw, Ct));

        // This month the admin rotates: the new key waits for DNS, and the old one keeps signing meanwhile.
        var admin = await Api.AsAsync(StackSettings.Get("DEMO_ORGADMIN_USER"), StackSettings.Get("DEMO_ORGADMIN_PASSWORD"));
        var rotated = await TestApi.ReadAsync(await admin.PostAsync($"{Root}/domains/{domainId}/dkim/rotate/", null, Ct), HttpStatusCode.OK);
        var fresh = rotated.GetProperty("dkim").GetProperty("pending_selector").GetString()!;
        Assert.StartsWith("fy" + now.ToString("yyyyMM", CultureInfo.InvariantCulture), fresh, StringComparison.Ordinal);
        var during = await SendAsDemoUserAsync("during the rotation");
        AssertSignedWith(during.Message, old);

        // The next `up` publishes the new selector beside the old one and its check moves signing to it.
        await UpAsync();
        Assert.Equal(fresh, await ActiveSelectorAsync());
        var december = await SendAsDemoUserAsync("this month's key");
        AssertSignedWith(december.Message, fresh);
        // Verified against NSD itself, not through the inbound verifier: renaming this month's key to last month's freed
        // its selector, so the new key may get the same name, and the verifier's resolver still caches the old key under
        // it from the other test (a selector named again for another key, which only this test's renaming makes).

        // The retired key stays published for the overlap: mail signed with it just before the switch still verifies.
        Assert.Equal((0, $"{old} pass"), await TestDns.VerifyDkimAsync(during.Raw, Ct));
        Assert.Equal((0, $"{fresh} pass"), await TestDns.VerifyDkimAsync(december.Raw, Ct));

        // Not left to pile up in the demo zone over many runs: the next `up` unpublishes it.
        await ApiFactory.ScalarAsync("DELETE FROM directory.dkim_keys WHERE domain_id = $1 AND selector = $2 AND state = 'retired'", domainId, old);
    }

    // ------------------------------------------------------------------ helpers

    private sealed record Sent(string Subject, MimeMessage Message, byte[] Raw);

    /// <summary>`deploy/stack.sh up` as a developer runs it (the schema is there already: its migrate is skipped).</summary>
    private static Task UpAsync() =>
        StackProcesses.EnsureUpAsync();

    private static async Task<string?> ActiveSelectorAsync() =>
        (string?)await ApiFactory.ScalarAsync(
            "SELECT k.selector FROM directory.dkim_keys k JOIN directory.domains d ON d.id = k.domain_id WHERE d.name = $1 AND k.state = 'active'", Demo);

    private static void AssertSignedWith(MimeMessage message, string? selector)
    {
        var signature = Assert.Single(message.Headers, h => h.Id == HeaderId.DkimSignature).Value;
        Assert.Contains($"d={Demo};", signature, StringComparison.Ordinal);
        Assert.Contains($"s={selector};", signature, StringComparison.Ordinal);
    }

    /// <summary>The demo user sends to the other demo user through submission; the copy as delivered, byte for byte.</summary>
    private static async Task<Sent> SendAsDemoUserAsync(string what)
    {
        var subject = $"{what} {Guid.NewGuid():N}";
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", int.Parse(StackSettings.Get("SUBMISSION_PORT"), CultureInfo.InvariantCulture), SecureSocketOptions.None, Ct);
            await smtp.AuthenticateAsync(Sender, StackSettings.Get("DEMO_USER_PASSWORD"), Ct);
            await smtp.SendAsync(MailKitTestKit.Message(Sender, Recipient, subject, $"Hello from {what}.\nSecond line."), Ct);
            await smtp.DisconnectAsync(true, Ct);
        }

        var raw = Assert.Single(await ReadCopiesAsync(Recipient, subject));
        return new Sent(subject, MimeMessage.Load(new MemoryStream(raw)), raw);
    }

    /// <summary>
    /// Mail between our own mailboxes goes straight to LMTP and is never stamped (docs/adr/0030): the signed copy is
    /// handed to the inbound server (port 25) as another domain's MX would receive it, and the stamp read back. It is
    /// addressed to the sender's own mailbox: a second copy of one Message-ID to the recipient would be discarded
    /// (deploy/dovecot/sieve/duplicates.sieve).
    /// </summary>
    private static async Task<string> RelayAndReadStampAsync(Sent sent)
    {
        var relayed = MimeMessage.Load(new MemoryStream(sent.Raw));
        // What the first delivery added; none of it is signed.
        relayed.Headers.RemoveAll(HeaderId.ReturnPath);
        relayed.Headers.RemoveAll("Delivered-To");
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", MailKitTestKit.SmtpPort, SecureSocketOptions.None, Ct);
            await smtp.SendAsync(relayed, MailboxAddress.Parse(Sender), [MailboxAddress.Parse(Sender)], Ct);
            await smtp.DisconnectAsync(true, Ct);
        }

        var stored = MimeMessage.Load(new MemoryStream(Assert.Single(await ReadCopiesAsync(Sender, sent.Subject))));
        return Assert.Single(stored.Headers, h => h.Id == HeaderId.AuthenticationResults).Value.Trim();
    }

    /// <summary>The raw copies in the mailbox's INBOX with this subject, once there is one.</summary>
    private static async Task<List<byte[]>> ReadCopiesAsync(string mailbox, string subject)
    {
        using var imap = await MailKitTestKit.OpenAsync(mailbox, Ct);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var uids = await imap.Inbox.SearchAsync(SearchQuery.SubjectContains(subject), Ct);
            if (uids.Count > 0)
            {
                var copies = new List<byte[]>();
                foreach (var uid in uids)
                {
                    using var raw = new MemoryStream();
                    await using (var stream = await imap.Inbox.GetStreamAsync(uid, string.Empty, Ct))
                    {
                        await stream.CopyToAsync(raw, Ct);
                    }

                    copies.Add(raw.ToArray());
                }

                await imap.DisconnectAsync(true, Ct);
                return copies;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{subject}' did not arrive in {mailbox} within 20 s");
            await Task.Delay(100, Ct);
            await imap.NoOpAsync(Ct);
        }
    }
}

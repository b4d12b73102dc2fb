using System.Net;
using System.Net.Http.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// Hourly sending limits (docs/adr/0036) on the real stack: Postfix's submission service asks the policy service at end
/// of data, so a mail client over SMTP and the API's send meet the same count. A limit counts recipients.
/// </summary>
public sealed class SendingLimitTests(ApiFactory factory) : ApiTest(factory)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_mailbox_at_its_hourly_limit_is_refused_with_4xx_over_smtp_and_429_through_the_api()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var sender = await NewAccountAsync(admin, "limited@" + org.Domain);
        var other = await NewAccountAsync(admin, "peer@" + org.Domain);
        var third = await NewAccountAsync(admin, "peer2@" + org.Domain);
        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{sender.Id}/", new { message_limit = 3 }, Ct), HttpStatusCode.OK);
        var shown = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/{sender.Id}/", Ct), HttpStatusCode.OK);
        Assert.Equal(3, shown.GetProperty("message_limit").GetInt32());

        // Two over SMTP (one of them to two recipients): three recipients, the limit.
        await SubmitAsync(sender.Address, [other.Address]);
        await SubmitAsync(sender.Address, [other.Address, third.Address]);

        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SubmitAsync(sender.Address, [other.Address]));
        Assert.Equal(4, (int)refused.StatusCode / 100);
        Assert.Contains("Sending limit reached", refused.Message, StringComparison.Ordinal);
        Assert.Contains("3 recipients an hour", refused.Message, StringComparison.Ordinal);

        // The API's send meets the same count: 429, a sentence, and when to try again; nothing lands in Sent.
        var user = await Api.AsAsync(sender.Address);
        var response = await user.PostAsJsonAsync($"{Root}/email/send/", new { to_emails = new[] { other.Address }, subject = "one too many", body = "x" }, Ct);
        var error = await TestApi.AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "Sending limit reached");
        Assert.Contains("Nothing was sent", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(62));

        // Another mailbox of the domain is not held back by this one's limit.
        await SubmitAsync(other.Address, [sender.Address]);

        // Raising the limit lets the mailbox send again at once.
        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{sender.Id}/", new { message_limit = 0 }, Ct), HttpStatusCode.OK);
        await TestApi.ReadAsync(await user.PostAsJsonAsync($"{Root}/email/send/", new { to_emails = new[] { other.Address }, subject = "unlimited again", body = "x" }, Ct),
            HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_domain_limit_counts_all_its_mailboxes_together_and_a_message_over_the_whole_limit_says_so()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var superadmin = await Api.SuperadminAsync();
        var one = await NewAccountAsync(admin, "one@" + org.Domain);
        var two = await NewAccountAsync(admin, "two@" + org.Domain);
        var three = await NewAccountAsync(admin, "three@" + org.Domain);
        var four = await NewAccountAsync(admin, "four@" + org.Domain);
        var domain = await TestApi.ReadAsync(await superadmin.PatchAsJsonAsync($"{Root}/domains/{org.DomainId}/", new { message_limit = 2 }, Ct), HttpStatusCode.OK);
        Assert.Equal(2, domain.GetProperty("message_limit").GetInt32());

        await SubmitAsync(one.Address, [two.Address]);
        await SubmitAsync(two.Address, [one.Address]);
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SubmitAsync(one.Address, [two.Address]));
        Assert.Contains("its domain (" + org.Domain + ")", refused.Message, StringComparison.Ordinal);

        await TestApi.ReadAsync(await superadmin.PatchAsJsonAsync($"{Root}/domains/{org.DomainId}/", new { message_limit = 2_000 }, Ct), HttpStatusCode.OK);
        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{one.Id}/", new { message_limit = 2 }, Ct), HttpStatusCode.OK);
        var tooMany = await Assert.ThrowsAsync<SmtpCommandException>(() => SubmitAsync(one.Address, [two.Address, three.Address, four.Address]));
        Assert.Contains("at most 2 an hour", tooMany.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public async Task A_negative_limit_is_refused_naming_the_field_and_changes_nothing(int limit)
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var superadmin = await Api.SuperadminAsync();
        var box = await NewAccountAsync(admin, "neg@" + org.Domain);

        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{box.Id}/", new { message_limit = limit }, Ct),
            HttpStatusCode.BadRequest, "message_limit");
        await TestApi.AssertErrorAsync(await superadmin.PatchAsJsonAsync($"{Root}/domains/{org.DomainId}/", new { message_limit = limit }, Ct),
            HttpStatusCode.BadRequest, "message_limit");
        var shown = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/{box.Id}/", Ct), HttpStatusCode.OK);
        Assert.Equal(0, shown.GetProperty("message_limit").GetInt32());
    }

    private sealed record Account(long Id, string Address);

    private async Task<Account> NewAccountAsync(HttpClient admin, string address)
    {
        var account = await Api.CreateAccountAsync(admin, address);
        return new Account(account.GetProperty("id").GetInt64(), account.GetProperty("address").GetString()!);
    }

    /// <summary>One message over the submission port, as a mail client sends it (its first login may take a moment).</summary>
    private static async Task SubmitAsync(string login, IReadOnlyList<string> recipients)
    {
        var message = MailProbe.NewMessage(login, recipients[0], MailProbe.UniqueSubject("limit"));
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync(MailProbe.Host, MailProbe.SubmissionPort, SecureSocketOptions.None, Ct);
        await Poll.UntilAsync($"submission login of {login}", Soon, async () =>
        {
            try
            {
                await client.AuthenticateAsync(login, TestApi.Password, Ct);
                return true;
            }
            catch (AuthenticationException)
            {
                return false;
            }
        }, ok => ok, Ct);
        await client.SendAsync(message, new MailboxAddress(null, login), recipients.Select(r => new MailboxAddress(null, r)), Ct);
        await client.DisconnectAsync(true, Ct);
    }
}

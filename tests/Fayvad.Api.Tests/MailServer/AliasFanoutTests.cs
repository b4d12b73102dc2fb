using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// An alias with the most recipients the API allows (1,000 mailboxes): one message through Postfix's expansion of the
/// view mail_virtual reaches every mailbox once (Dovecot's own count of each mailbox, directory.mailbox_usage). The time
/// from SMTP 250 to the last delivery is printed for the record (docs/adr/0034), not asserted: this machine is shared.
/// </summary>
public sealed class AliasFanoutTests(ApiFactory factory) : ApiTest(factory)
{
    private const int Recipients = 1000;

    [Fact]
    public async Task An_alias_to_1000_mailboxes_delivers_one_copy_to_each()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var addresses = Enumerable.Range(0, Recipients).Select(i => $"fan{i:D4}@{org.Domain}").ToList();
        foreach (var batch in addresses.Chunk(200))
        {
            await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/bulk-create/",
                new { accounts = batch.Select(a => new { username = a.Split('@')[0], email = a, password = TestApi.Password }) }, Ct), HttpStatusCode.Created);
        }

        var alias = "everyone@" + org.Domain;
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/", new { address = alias, recipients = addresses }, Ct), HttpStatusCode.Created);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "too-many@" + org.Domain, recipients = addresses.Append("one-more@example.org") }, Ct), HttpStatusCode.BadRequest, "at most 1000");

        var clock = Stopwatch.StartNew();
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, alias, MailProbe.UniqueSubject("to everyone")), alias, Ct);
        var accepted = clock.Elapsed;
        var pattern = $"fan%@{org.Domain}";
        var delivered = await Poll.UntilAsync($"{Recipients} deliveries", TimeSpan.FromMinutes(5), async () =>
            Convert.ToInt64(await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.mailbox_usage WHERE email LIKE $1 AND messages >= 1", pattern),
                System.Globalization.CultureInfo.InvariantCulture), n => n == Recipients, Ct);
        var done = clock.Elapsed;
        Assert.Equal(Recipients, delivered);
        await MailProbe.SettledAsync(Ct, [.. addresses, alias]);
        Assert.Equal(0L, Convert.ToInt64(await ApiFactory.ScalarAsync(
            "SELECT count(*) FROM directory.mailbox_usage WHERE email LIKE $1 AND messages <> 1", pattern), System.Globalization.CultureInfo.InvariantCulture));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"alias to {Recipients} mailboxes: SMTP 250 after {accepted.TotalMilliseconds:F0} ms, all {Recipients} delivered {done.TotalSeconds:F1} s after sending");
    }
}

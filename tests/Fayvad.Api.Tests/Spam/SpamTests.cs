using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;
using MailKit.Net.Smtp;
using MimeKit;
using Fayvad.Api.Tests.MailServer;

namespace Fayvad.Api.Tests.Spam;

/// <summary>
/// Spam and viruses on the real stack (docs/adr/0035): mail arrives through Postfix's inbound port, rspamd and ClamAV
/// look at it as milters, Dovecot files spam into Junk, and moves into and out of Junk train rspamd.
/// </summary>
public sealed class SpamTests(ApiFactory factory) : MailTest(factory)
{
    private static MimeMessage Gtube(string to, string subject) =>
        MailKitTestKit.Message("offers@bulk.example", to, subject, "Limited offer.\r\n" + SpamFilter.Gtube + "\r\n");

    private async Task<JsonElement> DetailAsync(Mailbox box, JsonElement listed) =>
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/", Ct), HttpStatusCode.OK);

    private async Task<string> RawAsync(Mailbox box, JsonElement listed) =>
        await (await box.Client.GetAsync($"{Root}/email/messages/{listed.GetProperty("id").GetString()}/raw/", Ct)).Content.ReadAsStringAsync(Ct);

    private async Task<HttpClient> AdminAsync(Mailbox box) => await Api.AsAsync(box.Org.AdminUsername);

    [Fact]
    public async Task Gtube_lands_in_Junk_with_our_headers_and_the_detail_shows_score_and_verdict()
    {
        var box = await MailboxAsync("spam");
        await SpamFilter.ConfigureAsync(await AdminAsync(box), box.Org.DomainId, box.Org.Domain, antispam: true, threshold: 5, Ct);

        var subject = Unique("Offer");
        await MailKitTestKit.DeliverAsync(Gtube(box.Address, subject), Ct);

        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "Junk", m => MailKitTestKit.Subject(m) == subject, Ct);
        Assert.DoesNotContain(await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == subject);
        var detail = await DetailAsync(box, listed);
        Assert.Equal("spam", detail.GetProperty("spam_verdict").GetString());
        Assert.True(detail.GetProperty("spam_score").GetDouble() >= 5, detail.GetProperty("spam_score").ToString());
        var raw = await RawAsync(box, listed);
        Assert.Contains("X-Spam: Yes", raw, StringComparison.Ordinal);
        Assert.Contains("X-Spamd-Result:", raw, StringComparison.Ordinal);
        Assert.Contains("X-Rspamd-Server: " + StackSettings.Get("AUTHSERV_ID"), raw, StringComparison.Ordinal);

        // A clean message to the same domain is scored and stays in the inbox, as ham.
        var clean = MailKitTestKit.Message("colleague@partner.example", box.Address, Unique("Minutes"),
            "Hello, attached are the minutes of Tuesday's meeting about the warehouse schedule. Regards, Ann");
        clean.Date = DateTimeOffset.UtcNow;
        clean.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("partner.example");
        await MailKitTestKit.DeliverAsync(clean, Ct);
        var inbox = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == clean.Subject, Ct);
        detail = await DetailAsync(box, inbox);
        Assert.Equal("ham", detail.GetProperty("spam_verdict").GetString());
        Assert.True(detail.GetProperty("spam_score").GetDouble() < 5);
    }

    [Fact]
    public async Task A_domain_with_antispam_off_gets_Gtube_in_the_inbox_unscanned_and_the_switch_applies_within_seconds()
    {
        var box = await MailboxAsync("nofilter");
        var admin = await AdminAsync(box);
        await SpamFilter.ConfigureAsync(admin, box.Org.DomainId, box.Org.Domain, antispam: true, threshold: 5, Ct);
        var first = Unique("On");
        await MailKitTestKit.DeliverAsync(Gtube(box.Address, first), Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "Junk", m => MailKitTestKit.Subject(m) == first, Ct);

        await SpamFilter.ConfigureAsync(admin, box.Org.DomainId, box.Org.Domain, antispam: false, threshold: 5, Ct);
        var second = Unique("Off");
        await MailKitTestKit.DeliverAsync(Gtube(box.Address, second), Ct);
        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == second, Ct);
        var detail = await DetailAsync(box, listed);
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("spam_verdict").ValueKind);
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("spam_score").ValueKind);
        Assert.DoesNotContain("X-Spam", await RawAsync(box, listed), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Spam_headers_a_sender_wrote_are_removed_on_arrival_and_never_trusted()
    {
        var box = await MailboxAsync("forged");
        await SpamFilter.ConfigureAsync(await AdminAsync(box), box.Org.DomainId, box.Org.Domain, antispam: true, threshold: 5, Ct);
        var forged = MailKitTestKit.Message("friend@partner.example", box.Address, Unique("Forged"),
            "Hello, here is the report you asked for last week about the quarterly figures. Best, Tom");
        forged.Date = DateTimeOffset.UtcNow;
        forged.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("partner.example");
        // What a spammer (or a prankster) writes to look already judged: spam to get a rival's mail junked, or ham.
        forged.Headers.Add("X-Spam", "Yes");
        forged.Headers.Add("X-Spam-Status", "Yes, score=99.00");
        forged.Headers.Add("X-Spamd-Result", "default: True [99.00 / 5.00]");
        forged.Headers.Add("X-Rspamd-Server", StackSettings.Get("AUTHSERV_ID"));
        await MailKitTestKit.DeliverAsync(forged, Ct);

        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == forged.Subject, Ct);
        var raw = await RawAsync(box, listed);
        Assert.DoesNotContain("99.00", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam: Yes", raw, StringComparison.Ordinal);
        var detail = await DetailAsync(box, listed);
        Assert.Equal("ham", detail.GetProperty("spam_verdict").GetString());

        // Uploaded over IMAP (no Postfix on the way) with a stamp naming another server: not ours, not shown.
        var uploaded = MailKitTestKit.Message("friend@partner.example", box.Address, Unique("Uploaded"), "Hi.");
        uploaded.Headers.Add("X-Spam-Status", "Yes, score=99.00");
        uploaded.Headers.Add("X-Rspamd-Server", "mx.elsewhere.example");
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [uploaded], Ct);
        listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == uploaded.Subject, Ct);
        detail = await DetailAsync(box, listed);
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("spam_verdict").ValueKind);
    }

    [Fact]
    public async Task The_Eicar_test_virus_is_refused_at_smtp_with_a_clear_reply()
    {
        // A new domain has antivirus on (the client's default).
        var box = await MailboxAsync("virus");
        var subject = Unique("Invoice");
        var message = MailKitTestKit.Message("billing@supplier.example", box.Address, subject, "Please see below.\r\n" + SpamFilter.Eicar + "\r\n");

        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => MailKitTestKit.DeliverAsync(message, Ct));
        Assert.Equal(550, (int)refused.StatusCode);
        Assert.Contains("virus", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("EICAR", refused.Message, StringComparison.OrdinalIgnoreCase);

        await MailProbe.SettledAsync(Ct, box.Address);
        Assert.DoesNotContain(await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == subject);
    }

    [Fact]
    public async Task Mark_spam_learns_spam_once_a_move_from_Junk_to_Trash_learns_nothing_and_not_spam_learns_ham()
    {
        var box = await MailboxAsync("trainer");
        var words = string.Join(' ', Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString("N")[..8]));
        var message = MailKitTestKit.Message("news@shop.example", box.Address, Unique("Deals"), "Cheap watches and pills today only. " + words);
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [message], Ct);
        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == message.Subject, Ct);

        var before = await SpamFilter.LearnedAsync(Ct);
        await ActAsync(box, "mark_spam", listed.GetProperty("id").GetString()!);
        var inJunk = await MailKitTestKit.WaitForMessageAsync(box.Client, "Junk", m => MailKitTestKit.Subject(m) == message.Subject, Ct);
        var afterSpam = await WaitForLearnedAsync(l => l.Spam > before.Spam);
        Assert.Equal(before.Spam + 1, afterSpam.Spam);
        Assert.Equal(before.Ham, afterSpam.Ham);

        // Deleting spam (Junk to Trash) says nothing about it.
        var moved = await box.Client.PostAsJsonAsync($"{Root}/email/actions/",
            new { action = "move", ids = new[] { inJunk.GetProperty("id").GetString() }, folder = "Trash" }, Ct);
        await TestApi.ReadAsync(moved, HttpStatusCode.OK);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "Trash", m => MailKitTestKit.Subject(m) == message.Subject, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal(afterSpam, await SpamFilter.LearnedAsync(Ct));

        // Out of Junk into the inbox: learned as ham.
        var ham = MailKitTestKit.Message("friend@partner.example", box.Address, Unique("Lunch"), "Lunch on Friday at noon? " + words + " ok");
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [ham], Ct);
        var junked = await MailKitTestKit.WaitForMessageAsync(box.Client, "Junk", m => MailKitTestKit.Subject(m) == ham.Subject, Ct);
        await ActAsync(box, "not_spam", junked.GetProperty("id").GetString()!);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == ham.Subject, Ct);
        var afterHam = await WaitForLearnedAsync(l => l.Ham > afterSpam.Ham);
        Assert.Equal(afterSpam.Ham + 1, afterHam.Ham);
        Assert.Equal(afterSpam.Spam, afterHam.Spam);
    }

    [Fact]
    public async Task A_blocked_sender_goes_to_Junk_and_an_allowed_one_to_the_inbox_even_with_Gtube()
    {
        var box = await MailboxAsync("lists");
        var admin = await AdminAsync(box);
        var rules = $"{Root}/domains/{box.Org.DomainId}/sender-rules/";
        var blocked = await TestApi.ReadAsync(await admin.PostAsJsonAsync(rules, new { sender = "Pest@Nuisance.example", action = "block" }, Ct),
            HttpStatusCode.Created);
        Assert.Equal("pest@nuisance.example", blocked.GetProperty("sender").GetString());
        await TestApi.ReadAsync(await admin.PostAsJsonAsync(rules, new { sender = "@partner.example", action = "allow" }, Ct), HttpStatusCode.Created);
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync(rules, new { sender = "@partner.example", action = "block" }, Ct), HttpStatusCode.Conflict);
        var list = await TestApi.ReadAsync(await admin.GetAsync(rules, Ct), HttpStatusCode.OK);
        Assert.Equal(["@partner.example", "pest@nuisance.example"], list.EnumerateArray().Select(r => r.GetProperty("sender").GetString()).ToArray());
        // ConfigureAsync waits for the domains map; the sender map is written in the same pass.
        await SpamFilter.ConfigureAsync(admin, box.Org.DomainId, box.Org.Domain, antispam: true, threshold: 5, Ct);

        var pest = MailKitTestKit.Message("pest@nuisance.example", box.Address, Unique("Hello"),
            "Hello, a perfectly ordinary note about the meeting on Thursday afternoon. Regards");
        await MailKitTestKit.DeliverAsync(pest, Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "Junk", m => MailKitTestKit.Subject(m) == pest.Subject, Ct);

        var partner = Gtube(box.Address, Unique("Partner"));
        partner.From.Clear();
        partner.From.Add(MailboxAddress.Parse("sales@partner.example"));
        await MailKitTestKit.DeliverAsync(partner, Ct);
        var listed = await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == partner.Subject, Ct);
        Assert.Equal("ham", (await DetailAsync(box, listed)).GetProperty("spam_verdict").GetString());

        var id = blocked.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{rules}{id}/", Ct)).StatusCode);
        await TestApi.AssertErrorAsync(await admin.DeleteAsync($"{rules}{id}/", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Spam_threshold_is_validated_and_shown()
    {
        var box = await MailboxAsync("threshold");
        var admin = await AdminAsync(box);
        var path = $"{Root}/domains/{box.Org.DomainId}/";
        foreach (var bad in new object[] { 0, 11, -3 })
        {
            await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync(path, new { spam_threshold = bad }, Ct), HttpStatusCode.BadRequest, "spam_threshold");
        }

        var domain = await TestApi.ReadAsync(await admin.GetAsync(path, Ct), HttpStatusCode.OK);
        Assert.Equal(5, domain.GetProperty("spam_threshold").GetInt32());
        Assert.True(domain.GetProperty("antivirus").GetBoolean());
        var patched = await TestApi.ReadAsync(await admin.PatchAsJsonAsync(path, new { spam_threshold = 8 }, Ct), HttpStatusCode.OK);
        Assert.Equal(8, patched.GetProperty("spam_threshold").GetInt32());
    }

    private async Task ActAsync(Mailbox box, string action, string id)
    {
        var response = await box.Client.PostAsJsonAsync($"{Root}/email/actions/", new { action, ids = new[] { id } }, Ct);
        var body = await TestApi.ReadAsync(response, HttpStatusCode.OK);
        Assert.Equal(1, body.GetProperty("processed").GetInt32());
    }

    private async Task<(long Spam, long Ham)> WaitForLearnedAsync(Func<(long Spam, long Ham), bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var learned = await SpamFilter.LearnedAsync(Ct);
            if (done(learned) || DateTime.UtcNow > deadline)
            {
                return learned;
            }

            await Task.Delay(250, Ct);
        }
    }
}

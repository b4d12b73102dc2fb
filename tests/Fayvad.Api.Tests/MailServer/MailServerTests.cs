using System.Net;
using System.Net.Http.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// Acceptance of the mail stack: mailboxes managed through the API (HTTP, as the Django client does) work on the real
/// Dovecot and Postfix of deploy/stack.sh, which read the Directory's views directory.mail_accounts / mail_domains
/// and write usage back to directory.mailbox_usage. No mocks: IMAP, SMTP, submission and LMTP on loopback.
/// </summary>
public sealed class MailServerTests(ApiFactory factory) : ApiTest(factory)
{
    private const long OneMegabyte = 1024 * 1024;

    /// <summary>How long something asynchronous (a new login, a queued delivery, usage written back) may take.</summary>
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_new_account_logs_in_over_imap_with_its_password_and_has_inbox_sent_drafts_trash_and_junk()
    {
        var box = await NewMailboxAsync("imap");

        using var imap = await FirstLoginAsync(box.Address, TestApi.Password);

        Assert.True(imap.Capabilities.HasFlag(ImapCapabilities.SpecialUse), "Dovecot announces SPECIAL-USE");
        var all = await imap.GetFoldersAsync(imap.PersonalNamespaces[0], StatusItems.None, false, Ct);
        Assert.Equal(["Drafts", "INBOX", "Junk", "Sent", "Trash"], all.Select(f => f.FullName).Order(StringComparer.Ordinal));
        var subscribed = await imap.GetFoldersAsync(imap.PersonalNamespaces[0], StatusItems.None, true, Ct);
        foreach (var (name, attribute, special) in new[]
                 {
                     ("Sent", FolderAttributes.Sent, SpecialFolder.Sent),
                     ("Drafts", FolderAttributes.Drafts, SpecialFolder.Drafts),
                     ("Trash", FolderAttributes.Trash, SpecialFolder.Trash),
                     ("Junk", FolderAttributes.Junk, SpecialFolder.Junk),
                 })
        {
            var folder = all.Single(f => f.FullName == name);
            Assert.True(folder.Attributes.HasFlag(attribute), $"{name} carries \\{attribute}: {folder.Attributes}");
            Assert.Equal(name, imap.GetFolder(special)?.FullName);
            Assert.Contains(name, subscribed.Select(f => f.FullName));
        }

        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        Assert.Equal(0, imap.Inbox.Count);
        await imap.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task Mail_sent_over_smtp_to_a_new_account_lands_in_its_inbox_which_the_master_user_also_opens()
    {
        var box = await NewMailboxAsync("inbound");
        var subject = MailProbe.UniqueSubject("inbound");
        var message = MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, subject);

        await Poll.UntilAsync($"inbound SMTP accepting mail for {box.Address}", Soon, async () =>
        {
            await MailProbe.SendInboundAsync(message, box.Address, Ct);
            return true;
        }, accepted => accepted, Ct);

        using var user = await FirstLoginAsync(box.Address, TestApi.Password);
        var delivered = await MailProbe.WaitForSubjectAsync(user, subject, Ct);
        Assert.Equal(message.MessageId, delivered.Envelope!.MessageId);

        // The API's way in: "address*fayvad_api" + the master password opens that same mailbox.
        using var master = await MailProbe.ImapAsync(MailProbe.MasterLogin(box.Address), MailProbe.MasterPassword, Ct);
        var seenByMaster = await MailProbe.WaitForSubjectAsync(master, subject, Ct);
        Assert.Equal(message.MessageId, seenByMaster.Envelope!.MessageId);
        Assert.Equal(delivered.UniqueId, seenByMaster.UniqueId);
        Assert.Equal(1, master.Inbox.Count);

        await MailProbe.ImapLoginIsRefusedAsync(MailProbe.MasterLogin(box.Address), "not-the-master-password", Ct);
        await user.DisconnectAsync(true, Ct);
        await master.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task Submission_with_the_account_password_sends_as_itself_and_refuses_another_envelope_sender()
    {
        var sender = await NewMailboxAsync("sender");
        var colleague = await Api.CreateAccountAsync(sender.Admin, "colleague@" + sender.Org.Domain);
        var colleagueAddress = colleague.GetProperty("address").GetString()!;
        using var colleagueImap = await FirstLoginAsync(colleagueAddress, TestApi.Password);

        var subject = MailProbe.UniqueSubject("submitted");
        await MailProbe.SubmitAsync(sender.Address, TestApi.Password,
            MailProbe.NewMessage(sender.Address, colleagueAddress, subject), sender.Address, colleagueAddress, Ct);
        await MailProbe.WaitForSubjectAsync(colleagueImap, subject, Ct);

        // The colleague's address is a real, active mailbox of the same domain: only ownership is wrong.
        var spoofed = await Assert.ThrowsAsync<SmtpCommandException>(() => MailProbe.SubmitAsync(sender.Address, TestApi.Password,
            MailProbe.NewMessage(colleagueAddress, colleagueAddress, MailProbe.UniqueSubject("spoofed")), colleagueAddress, colleagueAddress, Ct));
        Assert.Equal(SmtpStatusCode.MailboxNameNotAllowed, spoofed.StatusCode); // 553
        Assert.Contains("not owned", spoofed.Message, StringComparison.OrdinalIgnoreCase);

        // Without AUTH the submission port relays nothing, not even to a local mailbox.
        using (var anonymous = new SmtpClient { Timeout = 15_000 })
        {
            await anonymous.ConnectAsync(MailProbe.Host, MailProbe.SubmissionPort, MailKit.Security.SecureSocketOptions.None, Ct);
            var unauthenticated = await Assert.ThrowsAsync<SmtpCommandException>(() => anonymous.SendAsync(
                MailProbe.NewMessage(sender.Address, colleagueAddress, "anonymous"), new MimeKit.MailboxAddress(null, sender.Address),
                [new MimeKit.MailboxAddress(null, colleagueAddress)], Ct));
            Assert.True((int)unauthenticated.StatusCode >= 500, $"refused permanently: {(int)unauthenticated.StatusCode} {unauthenticated.Message}");
        }

        await colleagueImap.NoOpAsync(Ct);
        Assert.Equal(1, colleagueImap.Inbox.Count);
        await colleagueImap.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task Submission_through_the_master_user_sends_as_that_account_only()
    {
        var sender = await NewMailboxAsync("api-sender");
        var colleague = await Api.CreateAccountAsync(sender.Admin, "colleague@" + sender.Org.Domain);
        var colleagueAddress = colleague.GetProperty("address").GetString()!;
        using var colleagueImap = await FirstLoginAsync(colleagueAddress, TestApi.Password);
        var masterLogin = MailProbe.MasterLogin(sender.Address);

        var subject = MailProbe.UniqueSubject("via master");
        await MailProbe.SubmitAsync(masterLogin, MailProbe.MasterPassword,
            MailProbe.NewMessage(sender.Address, colleagueAddress, subject), sender.Address, colleagueAddress, Ct);
        await MailProbe.WaitForSubjectAsync(colleagueImap, subject, Ct);

        var spoofed = await Assert.ThrowsAsync<SmtpCommandException>(() => MailProbe.SubmitAsync(masterLogin, MailProbe.MasterPassword,
            MailProbe.NewMessage(colleagueAddress, colleagueAddress, MailProbe.UniqueSubject("spoofed")), colleagueAddress, colleagueAddress, Ct));
        Assert.Equal(SmtpStatusCode.MailboxNameNotAllowed, spoofed.StatusCode);
        await colleagueImap.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task A_disabled_account_can_no_longer_log_in_over_imap_nor_receive_mail_until_enabled_again()
    {
        var box = await NewMailboxAsync("disabled");
        using (var before = await FirstLoginAsync(box.Address, TestApi.Password))
        {
            // Delivered before the change (a message still queued when the account goes inactive would bounce).
            await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "before"), box.Address, Ct);
            await MailProbe.WaitForSubjectAsync(before, "before", Ct);
        }

        var disabled = await TestApi.ReadAsync(await box.Admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{box.Id}/", new { enabled = false }, Ct), HttpStatusCode.OK);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());

        // No cache anywhere: the very next lookup sees the change.
        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
        await MailProbe.ImapLoginIsRefusedAsync(MailProbe.MasterLogin(box.Address), MailProbe.MasterPassword, Ct, because: "Authorization failed");
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "while disabled"), box.Address, Ct));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode); // 550 5.1.1 user unknown

        await TestApi.ReadAsync(await box.Admin.PatchAsJsonAsync($"{Root}/org/email-accounts/{box.Id}/", new { enabled = true }, Ct), HttpStatusCode.OK);
        using var again = await MailProbe.ImapAsync(box.Address, TestApi.Password, Ct);
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "after"), box.Address, Ct);
        await MailProbe.WaitForSubjectAsync(again, "after", Ct);
        var subjects = (await again.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct)).Select(s => s.Envelope!.Subject);
        Assert.Equal(["before", "after"], subjects);
        await again.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task A_disabled_domain_stops_imap_login_and_inbound_mail_for_its_accounts()
    {
        var box = await NewMailboxAsync("in-domain");
        using (var before = await FirstLoginAsync(box.Address, TestApi.Password))
        {
            // Delivered before the change (a message still queued when the account goes inactive would bounce).
            await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "before"), box.Address, Ct);
            await MailProbe.WaitForSubjectAsync(before, "before", Ct);
        }

        var disabled = await TestApi.ReadAsync(await box.Admin.PatchAsJsonAsync($"{Root}/domains/{box.Org.DomainId}/", new { enabled = false }, Ct), HttpStatusCode.OK);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());

        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
        await MailProbe.ImapLoginIsRefusedAsync(MailProbe.MasterLogin(box.Address), MailProbe.MasterPassword, Ct, because: "Authorization failed");
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, "while disabled"), box.Address, Ct));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        // A fresh smtpd process answers "554 5.7.1 Relay access denied" (mail_domains says inactive). One that already
        // resolved this domain keeps its address class in its resolve cache for its lifetime and answers
        // "550 5.1.1 User unknown" (mail_accounts.active folds the domain's state). Both are a permanent refusal.
        var expected = refused.StatusCode == SmtpStatusCode.TransactionFailed ? "Relay access denied" : "User unknown";
        Assert.Contains(refused.StatusCode, new[] { SmtpStatusCode.TransactionFailed, SmtpStatusCode.MailboxUnavailable });
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_reset_by_an_admin_works_at_once_over_imap_and_the_old_one_fails()
    {
        var box = await NewMailboxAsync("reset");
        using (await FirstLoginAsync(box.Address, TestApi.Password))
        {
        }

        const string newPassword = "reset-by-admin-42";
        var reset = await box.Admin.PostAsJsonAsync($"{Root}/org/email-accounts/{box.Id}/password/", new { password = newPassword }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);

        using (var imap = await MailProbe.ImapAsync(box.Address, newPassword, Ct))
        {
            Assert.True(imap.IsAuthenticated);
        }

        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
    }

    [Fact]
    public async Task A_password_changed_by_its_user_works_at_once_over_imap_and_the_old_one_fails()
    {
        var box = await NewMailboxAsync("changer");
        using (await FirstLoginAsync(box.Address, TestApi.Password))
        {
        }

        const string newPassword = "changed-by-me-42";
        var self = await Api.AsAsync(box.Address);
        var changed = await self.PostAsJsonAsync($"{Root}/auth/change-password/", new { current_password = TestApi.Password, new_password = newPassword }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        using (var imap = await MailProbe.ImapAsync(box.Address, newPassword, Ct))
        {
            Assert.True(imap.IsAuthenticated);
        }

        await MailProbe.ImapLoginIsRefusedAsync(box.Address, TestApi.Password, Ct);
    }

    [Fact]
    public async Task A_full_mailbox_refuses_mail_with_552_stays_within_quota_plus_grace_and_warns_its_owner_at_80_and_95_percent()
    {
        var box = await NewMailboxAsync("full", quotaMb: 1);
        const long limit = OneMegabyte;
        const long grace = limit / 10; // Dovecot's default quota_grace = 10%
        using var imap = await FirstLoginAsync(box.Address, TestApi.Password);

        // Messages (~90 KB) smaller than the grace: the one that crosses the limit still fits in the grace and is let
        // through; the next one must be refused at RCPT (Postfix asks Dovecot's quota-status policy service).
        const int filler = 64 * 1024;
        var accepted = 0;
        SmtpCommandException? refused = null;
        while (refused is null && accepted < 40)
        {
            var message = MailProbe.NewMessage(MailProbe.OutsideSender, box.Address, $"filler {accepted + 1}", filler);
            try
            {
                await MailProbe.SendInboundAsync(message, box.Address, Ct);
            }
            catch (SmtpCommandException e)
            {
                refused = e;
                break;
            }

            accepted++;
            // Wait for the delivery, so that the next RCPT is judged on the real usage.
            await Poll.UntilAsync($"delivery {accepted} to {box.Address}", Soon,
                () => MailProbe.InboxAsync(imap, Ct), messages => messages.Count(IsFiller) == accepted, Ct);
        }

        Assert.NotNull(refused);
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(SmtpStatusCode.ExceededStorageAllocation, refused.StatusCode); // 552 5.2.2
        Assert.Contains("Mailbox is full", refused.Message, StringComparison.Ordinal);

        // The notice for the last crossing is filed once that delivery has ended: wait for both.
        var messages = await Poll.UntilAsync($"both quota notices for {box.Address}", Soon,
            () => MailProbe.InboxAsync(imap, Ct), inbox => inbox.Count(m => !IsFiller(m)) >= 2, Ct);
        var sizes = messages.Select(m => m.Size).ToList();
        var fillers = messages.Where(IsFiller).Select(m => m.Size).ToList();
        var stored = sizes.Sum();
        Assert.Equal(accepted, fillers.Count);
        Assert.True(fillers.Max() < grace, $"test premise: each message ({fillers.Max()} B) is smaller than the grace ({grace} B)");
        Assert.True(stored > limit, $"the message crossing the limit is let through by the grace: {stored} B stored, limit {limit} B");
        Assert.True(stored <= limit + grace, $"{stored} B stored, more than quota + grace ({limit + grace} B)");

        // One notice as usage crossed 80 %, one as it crossed 95 %, each filed (INBOX in UID order) after the filler that
        // crossed it; it is delivered once that delivery ends, so the next filler may come in first.
        var notices = messages.Where(m => !IsFiller(m)).Select(m => m.Subject).ToList();
        Assert.Equal(["Your mailbox is 80% full", "Your mailbox is 95% full"], notices);
        Assert.InRange(FillersBefore("Your mailbox is 80% full"), CrossedAt(0.80), CrossedAt(0.80) + 1);
        Assert.InRange(FillersBefore("Your mailbox is 95% full"), CrossedAt(0.95), CrossedAt(0.95) + 1);

        // Dovecot's LMTP refuses it too (what Postfix would meet if a message got past the policy check).
        var lmtpReply = await MailProbe.LmtpRcptReplyAsync(box.Address, Ct);
        Assert.StartsWith("552 5.2.2", lmtpReply, StringComparison.Ordinal);

        // The Directory shows Dovecot's figures (written by quota_clone), notices included.
        var usage = await Poll.UntilAsync($"usage of {box.Address} in the account list", Soon,
            () => AccountUsageAsync(box.Admin, box.Address), u => u.Messages == messages.Count, Ct, () => MailProbe.QuotaDiagnosticsAsync(box.Address));
        Assert.Equal(stored, usage.Bytes);
        await imap.DisconnectAsync(true, Ct);

        static bool IsFiller((string Subject, long Size) m) => m.Subject.StartsWith("filler ", StringComparison.Ordinal);

        int FillersBefore(string notice) => messages.TakeWhile(m => m.Subject != notice).Count(IsFiller);

        // The number of the filler whose delivery first took usage (INBOX in delivery order, notices counted) to the share.
        int CrossedAt(double share)
        {
            long used = 0;
            var filled = 0;
            foreach (var message in messages)
            {
                used += message.Size;
                filled += IsFiller(message) ? 1 : 0;
                if (used >= share * limit)
                {
                    return filled;
                }
            }

            return -1;
        }
    }

    [Fact]
    public async Task Usage_after_delivery_shows_in_the_account_list_and_in_the_organization_storage_figure()
    {
        var one = await NewMailboxAsync("usage-one");
        var twoAccount = await Api.CreateAccountAsync(one.Admin, "usage-two@" + one.Org.Domain);
        var two = one with { Id = twoAccount.GetProperty("id").GetInt64(), Address = twoAccount.GetProperty("address").GetString()! };
        var superadmin = await Api.SuperadminAsync();

        Assert.Equal(new Usage(0, 0), await AccountUsageAsync(one.Admin, one.Address));
        Assert.Equal(0, await OrganizationStorageAsync(superadmin, one.Org.Id));

        using var imapOne = await FirstLoginAsync(one.Address, TestApi.Password);
        using var imapTwo = await FirstLoginAsync(two.Address, TestApi.Password);
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, one.Address, "one", 10_000), one.Address, Ct);
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, two.Address, "two a", 20_000), two.Address, Ct);
        await MailProbe.SendInboundAsync(MailProbe.NewMessage(MailProbe.OutsideSender, two.Address, "two b", 30_000), two.Address, Ct);

        var sizesOne = await Poll.UntilAsync("delivery to one", Soon, () => MailProbe.InboxSizesAsync(imapOne, Ct), s => s.Count == 1, Ct);
        var sizesTwo = await Poll.UntilAsync("deliveries to two", Soon, () => MailProbe.InboxSizesAsync(imapTwo, Ct), s => s.Count == 2, Ct);

        var usageOne = await Poll.UntilAsync($"usage of {one.Address}", Soon,
            () => AccountUsageAsync(one.Admin, one.Address), u => u.Messages == 1, Ct, () => MailProbe.QuotaDiagnosticsAsync(one.Address));
        var usageTwo = await Poll.UntilAsync($"usage of {two.Address}", Soon,
            () => AccountUsageAsync(one.Admin, two.Address), u => u.Messages == 2, Ct, () => MailProbe.QuotaDiagnosticsAsync(two.Address));
        Assert.Equal(sizesOne.Sum(), usageOne.Bytes);
        Assert.Equal(sizesTwo.Sum(), usageTwo.Bytes);
        Assert.True(usageTwo.Bytes > 50_000, $"the attachments are counted: {usageTwo.Bytes} B");

        Assert.Equal(usageOne.Bytes + usageTwo.Bytes, await OrganizationStorageAsync(superadmin, one.Org.Id));
        await imapOne.DisconnectAsync(true, Ct);
        await imapTwo.DisconnectAsync(true, Ct);
    }

    // ------------------------------------------------------------------ helpers

    private sealed record Mailbox(TestOrg Org, HttpClient Admin, long Id, string Address);

    private sealed record Usage(long Bytes, long Messages);

    /// <summary>A fresh organization (its own domain) and one mailbox in it, created through the API.</summary>
    private async Task<Mailbox> NewMailboxAsync(string localPart, int? quotaMb = null)
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var account = await Api.CreateAccountAsync(admin, localPart + "@" + org.Domain, quotaMb);
        return new Mailbox(org, admin, account.GetProperty("id").GetInt64(), account.GetProperty("address").GetString()!);
    }

    /// <summary>The first IMAP login of a mailbox the API just created: expected to work within seconds.</summary>
    private static Task<ImapClient> FirstLoginAsync(string address, string password) =>
        Poll.UntilAsync($"IMAP login of {address}", Soon, () => MailProbe.ImapAsync(address, password, Ct), c => c.IsAuthenticated, Ct);

    private async Task<Usage> AccountUsageAsync(HttpClient admin, string address)
    {
        var list = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.OK);
        var account = list.EnumerateArray().Single(a => a.GetProperty("address").GetString() == address); // a bare array, as the client reads it
        return new Usage(account.GetProperty("used_bytes").GetInt64(), account.GetProperty("used_messages").GetInt64());
    }

    /// <summary>storage_used_bytes of one organization, as the superadmin's organization list shows it.</summary>
    private async Task<long> OrganizationStorageAsync(HttpClient superadmin, long organizationId)
    {
        var list = await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/admin/organizations/", Ct), HttpStatusCode.OK);
        return list.EnumerateArray().Single(o => o.GetProperty("id").GetInt64() == organizationId)
            .GetProperty("storage_used_bytes").GetInt64();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// Aliases, catch-alls, forwards, alias domains and internal-only aliases (docs/adr/0034), managed through the API and
/// obeyed by the real Postfix, which reads them from the view directory.mail_virtual: SMTP on loopback, IMAP to look.
/// </summary>
public sealed class AddressTests(ApiFactory factory) : ApiTest(factory)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_alias_to_two_mailboxes_delivers_one_copy_to_each_even_through_a_nested_alias()
    {
        var (org, admin) = await NewOrgAsync();
        var one = await MailboxAsync(admin, "one@" + org.Domain);
        var two = await MailboxAsync(admin, "two@" + org.Domain);
        // team -> one, sub; sub -> one, two: "one" is reached twice and must get the message once.
        await CreateAliasAsync(admin, new { address = "sub@" + org.Domain, recipients = new[] { one, two } });
        var team = await CreateAliasAsync(admin, new { address = "Team@" + org.Domain.ToUpperInvariant(), recipients = new[] { one, "sub@" + org.Domain } });
        Assert.Equal("team@" + org.Domain, team.GetProperty("address").GetString());
        Assert.Equal([one, "sub@" + org.Domain], team.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        Assert.False(team.GetProperty("catch_all").GetBoolean());

        var message = await SendAsync("team@" + org.Domain, "to the team");
        foreach (var box in new[] { one, two })
        {
            using var imap = await LoginAsync(box);
            await MailProbe.WaitForSubjectAsync(imap, message.Subject, Ct);
            await MailProbe.SettledAsync(Ct, one, two);
            Assert.Single(await imap.Inbox.SearchAsync(SearchQuery.HeaderContains("Message-ID", message.MessageId), Ct));
        }
    }

    [Fact]
    public async Task A_disabled_or_expired_alias_is_refused_at_rcpt_with_550_and_delivers_again_when_enabled()
    {
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        var off = await CreateAliasAsync(admin, new { address = "off@" + org.Domain, recipients = new[] { box }, enabled = false });
        var expired = await CreateAliasAsync(admin, new { address = "old@" + org.Domain, recipients = new[] { box }, expires_at = DateTimeOffset.UtcNow.AddMinutes(-1) });
        Assert.True(expired.GetProperty("expired").GetBoolean());

        foreach (var address in new[] { "off@" + org.Domain, "old@" + org.Domain })
        {
            var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(address, "refused"));
            Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
            Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode); // 550
        }

        await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(off)}/", new { enabled = true }, Ct), HttpStatusCode.OK);
        var later = await TestApi.ReadAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(expired)}/",
            new { expires_at = DateTimeOffset.UtcNow.AddDays(1) }, Ct), HttpStatusCode.OK);
        Assert.False(later.GetProperty("expired").GetBoolean());
        var first = await SendAsync("off@" + org.Domain, "enabled again");
        var second = await SendAsync("old@" + org.Domain, "expires later");
        using var imap = await LoginAsync(box);
        await MailProbe.WaitForSubjectAsync(imap, first.Subject, Ct);
        await MailProbe.WaitForSubjectAsync(imap, second.Subject, Ct);
    }

    [Fact]
    public async Task A_catch_all_takes_unknown_names_while_real_mailboxes_and_aliases_keep_their_mail()
    {
        var (org, admin) = await NewOrgAsync();
        var real = await MailboxAsync(admin, "real@" + org.Domain);
        var catcher = await MailboxAsync(admin, "catcher@" + org.Domain);
        await CreateAliasAsync(admin, new { address = "sales@" + org.Domain, recipients = new[] { real } });

        // Before the catch-all: an unknown name is refused at RCPT.
        var unknown = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("nobody@" + org.Domain, "no catch-all yet"));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, unknown.StatusCode);

        var catchAll = await CreateAliasAsync(admin, new { address = "@" + org.Domain, recipients = new[] { catcher } });
        Assert.True(catchAll.GetProperty("catch_all").GetBoolean());
        var toReal = await SendAsync(real, "to the real one");
        var toAlias = await SendAsync("sales@" + org.Domain, "to the alias");
        var toAnyone = await SendAsync("anyone-" + Guid.NewGuid().ToString("N")[..6] + "@" + org.Domain, "to anyone");

        using var realImap = await LoginAsync(real);
        using var catcherImap = await LoginAsync(catcher);
        await MailProbe.WaitForSubjectAsync(realImap, toReal.Subject, Ct);
        await MailProbe.WaitForSubjectAsync(realImap, toAlias.Subject, Ct);
        await MailProbe.WaitForSubjectAsync(catcherImap, toAnyone.Subject, Ct);
        await MailProbe.SettledAsync(Ct, real, catcher);
        Assert.Equal([toAnyone.Subject], await SubjectsAsync(catcherImap));
        Assert.Equal(2, (await SubjectsAsync(realImap)).Count);

        var domain = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/", Ct), HttpStatusCode.OK);
        Assert.Equal(2, domain.GetProperty("total_aliases").GetInt32());
        Assert.Equal("domain", domain.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_domain_alias_answers_for_mailboxes_aliases_and_the_catch_all_and_refuses_unknown_names_at_rcpt()
    {
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        await CreateAliasAsync(admin, new { address = "team@" + org.Domain, recipients = new[] { box } });
        var aliasDomainName = "alias-" + org.Domain;
        var aliasDomain = await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/domains/",
            new { name = aliasDomainName, type = "aliasdomain", target_domain = org.Domain }, Ct), HttpStatusCode.Created);
        Assert.Equal("aliasdomain", aliasDomain.GetProperty("type").GetString());
        Assert.Equal(org.Domain, aliasDomain.GetProperty("target_domain").GetString());
        Assert.Equal(org.Id, aliasDomain.GetProperty("organization").GetProperty("id").GetInt64());

        var toBox = await SendAsync("box@" + aliasDomainName, "mailbox at the alias domain");
        var toTeam = await SendAsync("team@" + aliasDomainName, "alias at the alias domain");
        using var imap = await LoginAsync(box);
        await MailProbe.WaitForSubjectAsync(imap, toBox.Subject, Ct);
        await MailProbe.WaitForSubjectAsync(imap, toTeam.Subject, Ct);

        // No backscatter: a name nobody has is refused during the SMTP dialogue, not bounced later.
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("nobody@" + aliasDomainName, "unknown"));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode);

        await CreateAliasAsync(admin, new { address = "@" + org.Domain, recipients = new[] { box } });
        var toAnyone = await SendAsync("anyone@" + aliasDomainName, "catch-all through the alias domain");
        await MailProbe.WaitForSubjectAsync(imap, toAnyone.Subject, Ct);

        // Mailboxes and aliases live at the domain itself; the alias domain only answers for it.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "x@" + aliasDomainName, password = TestApi.Password }, Ct), HttpStatusCode.BadRequest, "alias domain");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "x@" + aliasDomainName, recipients = new[] { box } }, Ct), HttpStatusCode.BadRequest, "alias domain");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/domains/",
            new { name = "relay-" + org.Domain, type = "relaydomain" }, Ct), HttpStatusCode.BadRequest, "relaydomain");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/domains/",
            new { name = "x-" + org.Domain, type = "aliasdomain", target_domain = "not-ours-" + org.Domain }, Ct), HttpStatusCode.BadRequest, "target_domain");
    }

    [Fact]
    public async Task A_forward_delivers_to_its_targets_and_keeps_a_copy_only_when_asked()
    {
        var (org, admin) = await NewOrgAsync();
        var away = await MailboxAsync(admin, "away@" + org.Domain);
        var deputy = await MailboxAsync(admin, "deputy@" + org.Domain);
        var awayId = await AccountIdAsync(admin, away);

        var set = await TestApi.ReadAsync(await admin.PutAsJsonAsync($"{Root}/org/email-accounts/{awayId}/forward/",
            new { recipients = new[] { deputy }, keep_copy = true }, Ct), HttpStatusCode.OK);
        Assert.True(set.GetProperty("keep_copy").GetBoolean());
        var kept = await SendAsync(away, "forwarded and kept");
        using var awayImap = await LoginAsync(away);
        using var deputyImap = await LoginAsync(deputy);
        await MailProbe.WaitForSubjectAsync(awayImap, kept.Subject, Ct);
        await MailProbe.WaitForSubjectAsync(deputyImap, kept.Subject, Ct);

        await TestApi.ReadAsync(await admin.PutAsJsonAsync($"{Root}/org/email-accounts/{awayId}/forward/",
            new { recipients = new[] { deputy }, keep_copy = false }, Ct), HttpStatusCode.OK);
        var moved = await SendAsync(away, "forwarded only");
        await MailProbe.WaitForSubjectAsync(deputyImap, moved.Subject, Ct);
        await MailProbe.SettledAsync(Ct, away, deputy);
        Assert.Equal([kept.Subject], await SubjectsAsync(awayImap));

        // The mailbox's own user reads and removes it too; then mail stays home again.
        var user = await Api.AsAsync(away);
        var own = await TestApi.ReadAsync(await user.GetAsync($"{Root}/org/email-accounts/{awayId}/forward/", Ct), HttpStatusCode.OK);
        Assert.Equal([deputy], own.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        var removed = await TestApi.ReadAsync(await user.DeleteAsync($"{Root}/org/email-accounts/{awayId}/forward/", Ct), HttpStatusCode.OK);
        Assert.False(removed.GetProperty("active").GetBoolean());
        var home = await SendAsync(away, "home again");
        await MailProbe.WaitForSubjectAsync(awayImap, home.Subject, Ct);
    }

    [Fact]
    public async Task An_internal_only_alias_refuses_outside_senders_and_other_organizations_and_accepts_its_own_over_submission()
    {
        var (org, admin) = await NewOrgAsync();
        var member = await MailboxAsync(admin, "member@" + org.Domain);
        var colleague = await MailboxAsync(admin, "colleague@" + org.Domain);
        var staff = "staff@" + org.Domain;
        await CreateAliasAsync(admin, new { address = staff, recipients = new[] { colleague }, internal_only = true });

        var outside = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(staff, "from outside"));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, outside.ErrorCode);
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, outside.StatusCode);
        Assert.Contains("only from its own organization", outside.Message, StringComparison.Ordinal);

        // The same alias at an alias domain of the organization is internal-only too.
        var aliasDomainName = "alias-" + org.Domain;
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/domains/",
            new { name = aliasDomainName, type = "aliasdomain", target_domain = org.Domain }, Ct), HttpStatusCode.Created);
        var viaAliasDomain = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("staff@" + aliasDomainName, "from outside, alias domain"));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, viaAliasDomain.StatusCode);
        Assert.Contains("only from its own organization", viaAliasDomain.Message, StringComparison.Ordinal);

        var (other, otherAdmin) = await NewOrgAsync();
        var stranger = await MailboxAsync(otherAdmin, "stranger@" + other.Domain);
        var foreign = await Assert.ThrowsAsync<SmtpCommandException>(() => MailProbe.SubmitAsync(stranger, TestApi.Password,
            MailProbe.NewMessage(stranger, staff, MailProbe.UniqueSubject("other org")), stranger, staff, Ct));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, foreign.StatusCode);

        var subject = MailProbe.UniqueSubject("from inside");
        await MailProbe.SubmitAsync(member, TestApi.Password, MailProbe.NewMessage(member, staff, subject), member, staff, Ct);
        using var imap = await LoginAsync(colleague);
        await MailProbe.WaitForSubjectAsync(imap, subject, Ct);
    }

    [Fact]
    public async Task No_address_that_takes_outside_mail_may_lead_to_an_internal_only_alias()
    {
        // Postfix checks internal-only on the address the sender wrote; a public alias or forward leading to one would
        // carry outside mail past that check.
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        var colleague = await MailboxAsync(admin, "colleague@" + org.Domain);
        var staff = "staff@" + org.Domain;
        var staffAlias = await CreateAliasAsync(admin, new { address = staff, recipients = new[] { colleague }, internal_only = true });

        var viaAlias = await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "front@" + org.Domain, recipients = new[] { staff } }, Ct), HttpStatusCode.BadRequest, "internal only");
        Assert.Contains($"front@{org.Domain} -> {staff}", viaAlias.GetProperty("error").GetString(), StringComparison.Ordinal);
        await TestApi.AssertErrorAsync(await admin.PutAsJsonAsync($"{Root}/org/email-accounts/{await AccountIdAsync(admin, box)}/forward/",
            new { recipients = new[] { staff }, keep_copy = true }, Ct), HttpStatusCode.BadRequest, "internal only");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "@" + org.Domain, recipients = new[] { staff } }, Ct), HttpStatusCode.BadRequest, "internal only");

        // An internal-only alias may lead to another; it cannot then become public while it does.
        var team = await CreateAliasAsync(admin, new { address = "team@" + org.Domain, recipients = new[] { staff }, internal_only = true });
        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(team)}/", new { internal_only = false }, Ct),
            HttpStatusCode.BadRequest, "internal_only");

        // A public alias leading to one that is about to become internal-only blocks that change, naming the path.
        var sales = "sales@" + org.Domain;
        var salesAlias = await CreateAliasAsync(admin, new { address = sales, recipients = new[] { box } });
        await CreateAliasAsync(admin, new { address = "info@" + org.Domain, recipients = new[] { sales } });
        var blocked = await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(salesAlias)}/",
            new { internal_only = true }, Ct), HttpStatusCode.BadRequest, "internal_only");
        Assert.Contains($"info@{org.Domain} -> {sales}", blocked.GetProperty("error").GetString(), StringComparison.Ordinal);
        var unchanged = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/{Id(salesAlias)}/", Ct), HttpStatusCode.OK);
        Assert.False(unchanged.GetProperty("internal_only").GetBoolean());

        // Outside mail to the public alias still arrives; the internal-only one still refuses it.
        var sent = await SendAsync("info@" + org.Domain, "to info");
        using var imap = await LoginAsync(box);
        await MailProbe.WaitForSubjectAsync(imap, sent.Subject, Ct);
        await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(staff, "to staff"));
        Assert.True(staffAlias.GetProperty("internal_only").GetBoolean());
    }

    [Fact]
    public async Task Loops_shadowed_addresses_and_bad_values_are_refused_naming_the_field()
    {
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        var a = await CreateAliasAsync(admin, new { address = "a@" + org.Domain, recipients = new[] { box } });
        await CreateAliasAsync(admin, new { address = "b@" + org.Domain, recipients = new[] { "a@" + org.Domain } });

        var loop = await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(a)}/",
            new { recipients = new[] { "b@" + org.Domain } }, Ct), HttpStatusCode.BadRequest, "loop");
        Assert.Contains($"a@{org.Domain} -> b@{org.Domain} -> a@{org.Domain}", loop.GetProperty("error").GetString(), StringComparison.Ordinal);
        var boxId = await AccountIdAsync(admin, box);
        await TestApi.AssertErrorAsync(await admin.PutAsJsonAsync($"{Root}/org/email-accounts/{boxId}/forward/",
            new { recipients = new[] { "b@" + org.Domain }, keep_copy = true }, Ct), HttpStatusCode.BadRequest, $"{box} -> b@{org.Domain} -> a@{org.Domain} -> {box}");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "@" + org.Domain, recipients = new[] { "nobody@" + org.Domain } }, Ct), HttpStatusCode.BadRequest, "recipients");

        // An alias cannot shadow a mailbox, nor a mailbox an alias.
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = box, recipients = new[] { "a@" + org.Domain } }, Ct), HttpStatusCode.Conflict, "mailbox");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/email-accounts/",
            new { email = "a@" + org.Domain, password = TestApi.Password }, Ct), HttpStatusCode.Conflict, "alias");
        await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "a@" + org.Domain, recipients = new[] { box } }, Ct), HttpStatusCode.Conflict, "already exists");

        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { address = "not an address", recipients = new[] { box } }, "address"),
            (new { address = "x@" + org.Domain, recipients = new[] { "no-at-sign" } }, "recipients"),
            (new { address = "x@" + org.Domain, recipients = Array.Empty<string>() }, "recipients"),
            (new { address = "x@" + org.Domain, recipients = new[] { "nobody@" + org.Domain } }, "recipients"),
            (new { address = "x@" + org.Domain, recipients = new[] { "x@" + org.Domain } }, "recipients"),
            (new { address = "x@unknown-" + org.Domain, recipients = new[] { box } }, "address"),
            (new { address = "@" + org.Domain, recipients = new[] { box }, internal_only = true }, "internal_only"),
            (new { address = "x@" + org.Domain, recipients = new[] { box }, description = "two\nlines" }, "description"),
        })
        {
            await TestApi.AssertErrorAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/", body, Ct), HttpStatusCode.BadRequest, field);
        }

        await TestApi.AssertErrorAsync(await admin.PatchAsJsonAsync($"{Root}/org/aliases/{Id(a)}/", new { address = "other@" + org.Domain }, Ct),
            HttpStatusCode.BadRequest, "address");
        using var badDate = new StringContent("{\"address\":\"d@" + org.Domain + "\",\"recipients\":[\"" + box + "\"],\"expires_at\":\"soon\"}",
            System.Text.Encoding.UTF8, "application/json");
        var dateResponse = await admin.PostAsync($"{Root}/org/aliases/", badDate, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, dateResponse.StatusCode);
        // An outside address is accepted as written (mail to it leaves through the normal outbound path).
        await CreateAliasAsync(admin, new { address = "out@" + org.Domain, recipients = new[] { "someone@example.org" } });
    }

    [Fact]
    public async Task Aliases_list_as_a_bare_array_or_a_page_and_another_organizations_are_out_of_reach()
    {
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        var first = await CreateAliasAsync(admin, new { address = "first@" + org.Domain, recipients = new[] { box } });
        await CreateAliasAsync(admin, new { address = "second@" + org.Domain, recipients = new[] { box } });

        var list = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/", Ct), HttpStatusCode.OK);
        Assert.Equal(["first@" + org.Domain, "second@" + org.Domain], list.EnumerateArray().Select(a => a.GetProperty("address").GetString()));
        var page = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/?page=2&page_size=1", Ct), HttpStatusCode.OK);
        Assert.Equal(2, page.GetProperty("count").GetInt32());
        Assert.Equal("second@" + org.Domain, page.GetProperty("results")[0].GetProperty("address").GetString());

        var (other, otherAdmin) = await NewOrgAsync();
        var otherBox = await MailboxAsync(otherAdmin, "box@" + other.Domain);
        Assert.Equal(0, (await TestApi.ReadAsync(await otherAdmin.GetAsync($"{Root}/org/aliases/", Ct), HttpStatusCode.OK)).GetArrayLength());
        var id = Id(first);
        await TestApi.AssertErrorAsync(await otherAdmin.GetAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await otherAdmin.PatchAsJsonAsync($"{Root}/org/aliases/{id}/", new { recipients = new[] { otherBox } }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await otherAdmin.DeleteAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await otherAdmin.PostAsJsonAsync($"{Root}/org/aliases/",
            new { address = "grab@" + org.Domain, recipients = new[] { otherBox } }, Ct), HttpStatusCode.BadRequest, "not one of your organization's domains");
        await TestApi.AssertErrorAsync(await otherAdmin.GetAsync($"{Root}/org/email-accounts/{await AccountIdAsync(admin, box)}/forward/", Ct), HttpStatusCode.NotFound);
        var user = await Api.AsAsync(box);
        await TestApi.AssertErrorAsync(await user.GetAsync($"{Root}/org/aliases/", Ct), HttpStatusCode.Forbidden);

        await TestApi.ReadAsync(await admin.DeleteAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.OK);
        var gone = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("first@" + org.Domain, "deleted alias"));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, gone.StatusCode);
    }

    [Fact]
    public async Task A_deleted_alias_refuses_mail_until_restored_with_its_recipients_and_a_new_alias_at_its_address_replaces_it()
    {
        var (org, admin) = await NewOrgAsync();
        var box = await MailboxAsync(admin, "box@" + org.Domain);
        var colleague = await MailboxAsync(admin, "colleague@" + org.Domain);
        var team = "team@" + org.Domain;
        var alias = await CreateAliasAsync(admin, new { address = team, recipients = new[] { box, colleague }, description = "the team" });
        var id = Id(alias);

        var receipt = await TestApi.ReadAsync(await admin.DeleteAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal("alias", receipt.GetProperty("kind").GetString());
        Assert.Contains("restore", receipt.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(team, "while deleted"));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode);
        Assert.Equal(0, (await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/", Ct), HttpStatusCode.OK)).GetArrayLength());
        await TestApi.AssertErrorAsync(await admin.GetAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.NotFound);
        var domain = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/domains/{org.DomainId}/", Ct), HttpStatusCode.OK);
        Assert.Equal(0, domain.GetProperty("total_aliases").GetInt32());

        var deleted = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/deleted/", Ct), HttpStatusCode.OK);
        Assert.Equal(team, Assert.Single(deleted.EnumerateArray()).GetProperty("name").GetString());
        var (_, otherAdmin) = await NewOrgAsync();
        Assert.Equal(0, (await TestApi.ReadAsync(await otherAdmin.GetAsync($"{Root}/org/aliases/deleted/", Ct), HttpStatusCode.OK)).GetArrayLength());
        await TestApi.AssertErrorAsync(await otherAdmin.PostAsync($"{Root}/org/aliases/{id}/restore/", null, Ct), HttpStatusCode.NotFound);

        await TestApi.ReadAsync(await admin.PostAsync($"{Root}/org/aliases/{id}/restore/", null, Ct), HttpStatusCode.OK);
        var restored = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.OK);
        Assert.Equal([box, colleague], restored.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("the team", restored.GetProperty("description").GetString());
        var back = await SendAsync(team, "after restore");
        using (var imap = await LoginAsync(colleague))
        {
            await MailProbe.WaitForSubjectAsync(imap, back.Subject, Ct);
        }

        // Deleted again, then a new alias at the same address: the new one replaces it, and the old one is gone for good.
        await TestApi.ReadAsync(await admin.DeleteAsync($"{Root}/org/aliases/{id}/", Ct), HttpStatusCode.OK);
        await CreateAliasAsync(admin, new { address = team, recipients = new[] { box } });
        await TestApi.AssertErrorAsync(await admin.PostAsync($"{Root}/org/aliases/{id}/restore/", null, Ct), HttpStatusCode.NotFound);
        Assert.Equal(0, (await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/aliases/deleted/", Ct), HttpStatusCode.OK)).GetArrayLength());
    }

    // ------------------------------------------------------------------ helpers

    private async Task<(TestOrg Org, HttpClient Admin)> NewOrgAsync()
    {
        var org = await Api.CreateOrgAsync();
        return (org, await Api.AsAsync(org.AdminUsername));
    }

    private async Task<string> MailboxAsync(HttpClient admin, string address) =>
        (await Api.CreateAccountAsync(admin, address)).GetProperty("address").GetString()!;

    private static async Task<JsonElement> CreateAliasAsync(HttpClient admin, object body) =>
        await TestApi.ReadAsync(await admin.PostAsJsonAsync($"{Root}/org/aliases/", body, Ct), HttpStatusCode.Created);

    private static string Id(JsonElement element) => element.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<long> AccountIdAsync(HttpClient admin, string address)
    {
        var list = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/org/email-accounts/", Ct), HttpStatusCode.OK);
        return list.EnumerateArray().Single(a => a.GetProperty("address").GetString() == address).GetProperty("id").GetInt64();
    }

    /// <summary>Inbound (port 25 style) from an outside sender; throws SmtpCommandException when refused.</summary>
    private static async Task<Sent> SendAsync(string recipient, string what)
    {
        var subject = MailProbe.UniqueSubject(what);
        var message = MailProbe.NewMessage(MailProbe.OutsideSender, recipient, subject);
        await MailProbe.SendInboundAsync(message, recipient, Ct);
        return new Sent(subject, message.MessageId!);
    }

    private sealed record Sent(string Subject, string MessageId);

    private static Task<ImapClient> LoginAsync(string address) =>
        Poll.UntilAsync($"IMAP login of {address}", Soon, () => MailProbe.ImapAsync(address, TestApi.Password, Ct), c => c.IsAuthenticated, Ct);

    private static async Task<List<string>> SubjectsAsync(ImapClient imap)
    {
        if (!imap.Inbox.IsOpen)
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        }

        await imap.NoOpAsync(Ct);
        return imap.Inbox.Count == 0 ? [] : [.. (await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope, Ct)).Select(s => s.Envelope!.Subject ?? "")];
    }
}

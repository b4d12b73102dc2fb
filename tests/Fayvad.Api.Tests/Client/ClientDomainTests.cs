using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fayvad.Api.Tests.Client;

/// <summary>The admin portal's domain pages (list, create, toggle, delete) and the documented detail, PUT, enable/disable.</summary>
public sealed class ClientDomainTests(ApiFactory factory) : DirectoryClientTest(factory)
{
    /// <summary>The create form's exact body: no organization id, the four booleans always true, quotas in MB.</summary>
    private static object ClientDomainBody(string name, int quota = 2048, int defaultMailboxQuota = 512) => new
    {
        name,
        enabled = true,
        type = "domain",
        quota,
        default_mailbox_quota = defaultMailboxQuota,
        antivirus = true,
        antispam = true,
        dkim_enabled = true,
    };

    [Fact]
    public async Task A_superadmins_domain_without_organization_becomes_an_organization_of_its_own_and_reads_back_in_the_clients_units()
    {
        var superadmin = await SuperadminTokenAsync();
        var name = Unique("dom") + ".test";
        var created = await CreatedAsync(PostJsonAsync(superadmin, "/domains/", ClientDomainBody(name)));
        Assert.Equal(name, TextOf(created, "name"));
        var id = IntOf(created, "id");

        var domain = await OkAsync(superadmin.GetAsync($"{Root}/domains/{id}/", Ct));
        Assert.Equal(id, IntOf(domain, "id"));
        Assert.Equal(name, TextOf(domain, "name"));
        Assert.True(BoolOf(domain, "enabled"));
        Assert.Equal(2048, IntOf(domain, "quota"));
        Assert.Equal(512, IntOf(domain, "default_mailbox_quota"));
        Assert.Equal(0, IntOf(domain, "total_mailboxes"));
        Assert.True(BoolOf(domain, "dkim_enabled"));
        Assert.True(BoolOf(domain, "antivirus"));
        Assert.True(BoolOf(domain, "antispam"));
        Assert.Equal("domain", TextOf(domain, "type"));
        Assert.InRange(Timestamp(domain, "created_at"), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        var organization = domain.GetProperty("organization");
        Assert.Equal(name, TextOf(organization, "name"));

        // The client's one-domain organization: its domain_name is this domain.
        var org = ById(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/", Ct)), IntOf(organization, "id"))
            ?? throw new InvalidOperationException("the domain's organization is not listed");
        Assert.Equal(name, TextOf(org, "domain_name"));

        // The admin list, as its pages read it: a bare array of integer ids and MB quotas.
        var list = BareArray(await OkAsync(superadmin.GetAsync($"{Root}/domains/", Ct)));
        var item = ById(list, id) ?? throw new InvalidOperationException("domain missing from the list");
        Assert.Equal(2048, IntOf(item, "quota"));
        Assert.Equal(name, TextOf(item.GetProperty("organization"), "name"));
        // A page on request (the class view also takes a page's results).
        var page = await OkAsync(superadmin.GetAsync($"{Root}/domains/?page_size=1", Ct));
        Assert.True(IntOf(page, "count") >= list.GetArrayLength()); // other tests add domains meanwhile
        Assert.Single(page.GetProperty("results").EnumerateArray());
        await ErrorAsync(superadmin.GetAsync($"{Root}/domains/?page_size=0", Ct), HttpStatusCode.BadRequest, "page_size");
    }

    [Fact]
    public async Task An_org_admins_domain_joins_their_organization_and_bad_bodies_name_the_field()
    {
        var org = await Api.CreateOrgAsync(totalQuotaMb: 4096);
        var admin = await TokenClientAsync(org.AdminUsername);
        var name = "second." + org.Domain;
        var created = await CreatedAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody(name)));
        var domain = await OkAsync(admin.GetAsync($"{Root}/domains/{IntOf(created, "id")}/", Ct));
        Assert.Equal(org.Id, IntOf(domain.GetProperty("organization"), "id"));
        // The org-admin domain page keeps the elements whose name equals the organization's domain_name.
        var mine = BareArray(await OkAsync(admin.GetAsync($"{Root}/domains/", Ct)));
        Assert.Equal(new[] { org.Domain, name }.Order(StringComparer.Ordinal), mine.EnumerateArray().Select(d => d.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));

        await ErrorAsync(PostJsonAsync(admin, "/domains/", new { name = "relay." + org.Domain, enabled = true, type = "relaydomain", quota = 0, default_mailbox_quota = 0 }),
            HttpStatusCode.BadRequest, "type");
        await ErrorAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody("")), HttpStatusCode.BadRequest, "name");
        await ErrorAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody("big." + org.Domain, quota: 5000)), HttpStatusCode.BadRequest, "quota");
        await ErrorAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody("neg." + org.Domain, quota: -1)), HttpStatusCode.BadRequest, "quota");
        await ErrorAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody("def." + org.Domain, quota: 100, defaultMailboxQuota: 200)), HttpStatusCode.BadRequest, "default_mailbox_quota");
        // Posted again, their own domain is answered (200), not a conflict.
        Assert.Equal(IntOf(created, "id"), IntOf(await OkAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody(name))), "id"));
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.domains WHERE name LIKE $1", "%." + org.Domain + "_"));

        var other = await Api.CreateOrgAsync();
        await ErrorAsync(admin.GetAsync($"{Root}/domains/{other.DomainId}/", Ct), HttpStatusCode.NotFound);
        var user = await MailboxAsync("plain");
        var userClient = await TokenClientAsync(user.Address);
        await ErrorAsync(PostJsonAsync(userClient, "/domains/", ClientDomainBody("user." + user.Org.Domain)), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Add_domain_after_the_organization_form_answers_the_organizations_domain_with_the_posted_settings_and_another_organizations_stays_a_conflict_that_names_no_owner()
    {
        // The client's admin flow: the organization form makes the organization and its domain...
        var superadmin = await SuperadminTokenAsync();
        var name = Unique("flow") + ".test";
        var orgName = "Flow " + name;
        var org = await CreatedAsync(PostJsonAsync(superadmin, "/admin/organizations/",
            new { name = orgName, domain_name = name, max_users = 10, max_storage_gb = 4, is_active = true }));
        var orgId = IntOf(org, "id");
        var domainId = (long)(await ApiFactory.ScalarAsync("SELECT id FROM directory.domains WHERE name = $1", name))!;
        var adminAddress = "admin@" + name;
        await CreatedAsync(PostJsonAsync(superadmin, "/organization-admins/", new { organization_id = orgId, email = adminAddress, password = TestApi.Password }));
        var admin = await TokenClientAsync(adminAddress);

        // ...then "Add domain" posts that same name: the domain, as create shapes it, with the form's settings applied.
        var answered = await OkAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody(name, quota: 2048, defaultMailboxQuota: 512)));
        Assert.Equal(domainId, IntOf(answered, "id"));
        Assert.Equal(name, TextOf(answered, "name"));
        Assert.Equal(2048, IntOf(answered, "quota"));
        Assert.Equal(512, IntOf(answered, "default_mailbox_quota"));
        Assert.True(BoolOf(answered, "antivirus"));
        Assert.True(BoolOf(answered, "antispam"));
        Assert.Equal(orgId, IntOf(answered.GetProperty("organization"), "id"));
        var read = await OkAsync(admin.GetAsync($"{Root}/domains/{domainId}/", Ct));
        Assert.Equal(2048, IntOf(read, "quota"));
        Assert.Equal(512, IntOf(read, "default_mailbox_quota"));

        // The same for the superadmin: naming no organization (the client's form), or naming this one.
        Assert.Equal(1024, IntOf(await OkAsync(PostJsonAsync(superadmin, "/domains/", ClientDomainBody(name, quota: 1024, defaultMailboxQuota: 256))), "quota"));
        var named = await OkAsync(PostJsonAsync(superadmin, "/domains/", new { name, organization_id = orgId, total_quota_mb = 3072 }));
        Assert.Equal(3072, IntOf(named, "quota"));
        Assert.Equal(256, IntOf(named, "default_mailbox_quota"));

        // Settings it cannot take are refused as an update refuses them, and change nothing.
        await ErrorAsync(PostJsonAsync(admin, "/domains/", ClientDomainBody(name, quota: 5000)), HttpStatusCode.BadRequest, "quota");
        Assert.Equal(3072, IntOf(await OkAsync(admin.GetAsync($"{Root}/domains/{domainId}/", Ct)), "quota"));

        // Another organization's admin, or a superadmin naming another organization: 409, and not a word of whose.
        var other = await Api.CreateOrgAsync();
        var otherAdmin = await TokenClientAsync(other.AdminUsername);
        foreach (var (caller, body) in new (HttpClient, object)[] { (otherAdmin, ClientDomainBody(name)), (superadmin, new { name, organization_id = other.Id }) })
        {
            var refused = await ErrorAsync(PostJsonAsync(caller, "/domains/", body), HttpStatusCode.Conflict);
            Assert.Equal($"The domain '{name}' already exists.", TextOf(refused, "error"));
        }

        Assert.Equal(1L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.domains WHERE name = $1", name));
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.organizations WHERE name = $1", name));
        Assert.Equal(3072, IntOf(await OkAsync(admin.GetAsync($"{Root}/domains/{domainId}/", Ct)), "quota"));
    }

    [Fact]
    public async Task Toggle_flips_enabled_and_a_disabled_domain_stops_its_mailboxes_at_once()
    {
        var box = await MailboxAsync("toggled");
        var user = await TokenClientAsync(box.Address);
        var path = $"{Root}/domains/{box.Org.DomainId}/";

        // The list's toggle button: PATCH {} then GET to report the new state.
        await OkAsync(box.Admin.PatchAsJsonAsync(path + "toggle/", new { }, Ct));
        Assert.False(BoolOf(await OkAsync(box.Admin.GetAsync(path, Ct)), "enabled"));
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", box.Address));
        await ErrorAsync(user.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);

        var again = await OkAsync(box.Admin.PatchAsJsonAsync(path + "toggle/", new { }, Ct));
        Assert.True(BoolOf(again, "enabled"));
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", box.Address));

        // The documented enable/disable set rather than flip.
        Assert.False(BoolOf(await OkAsync(PostJsonAsync(box.Admin, $"/domains/{box.Org.DomainId}/disable/", new { })), "enabled"));
        Assert.False(BoolOf(await OkAsync(PostJsonAsync(box.Admin, $"/domains/{box.Org.DomainId}/disable/", new { })), "enabled"));
        Assert.True(BoolOf(await OkAsync(PostJsonAsync(box.Admin, $"/domains/{box.Org.DomainId}/enable/", new { })), "enabled"));

        var other = await Api.CreateOrgAsync();
        await ErrorAsync(box.Admin.PatchAsJsonAsync($"{Root}/domains/{other.DomainId}/toggle/", new { }, Ct), HttpStatusCode.NotFound);
        await ErrorAsync(PostJsonAsync(box.Admin, $"/domains/{other.DomainId}/enable/", new { }), HttpStatusCode.NotFound);
        await ErrorAsync(PostJsonAsync(box.Admin, $"/domains/999999999/disable/", new { }), HttpStatusCode.NotFound);
        Assert.True(BoolOf(await OkAsync((await SuperadminTokenAsync()).GetAsync($"{Root}/domains/{other.DomainId}/", Ct)), "enabled"));
    }

    [Fact]
    public async Task Put_takes_the_object_as_get_returns_it_and_patch_changes_single_fields()
    {
        var box = await MailboxAsync("put", quotaMb: 300);
        var path = $"{Root}/domains/{box.Org.DomainId}/";
        var current = JsonNode.Parse((await OkAsync(box.Admin.GetAsync(path, Ct))).GetRawText())!.AsObject();
        current["quota"] = 1000;
        current["default_mailbox_quota"] = 250;
        current["antivirus"] = false;
        current["dkim_enabled"] = true;
        var put = await OkAsync(box.Admin.PutAsJsonAsync(path, current, Ct));
        Assert.Equal(1000, IntOf(put, "quota"));
        Assert.Equal(250, IntOf(put, "default_mailbox_quota"));
        Assert.False(BoolOf(put, "antivirus"));
        Assert.True(BoolOf(put, "dkim_enabled"));
        Assert.Equal(1, IntOf(put, "total_mailboxes"));
        Assert.Equal(1000, IntOf(await OkAsync(box.Admin.GetAsync(path, Ct)), "total_quota_mb"));

        // The GET shape names the quota twice (quota, and our total_quota_mb): changing both, differently, is ambiguous.
        current["quota"] = 1100;
        current["total_quota_mb"] = 1200;
        await ErrorAsync(box.Admin.PutAsJsonAsync(path, current, Ct), HttpStatusCode.BadRequest, "total_quota_mb");
        current["quota"] = 1000;
        current["total_quota_mb"] = 1000;

        var patched = await OkAsync(box.Admin.PatchAsJsonAsync(path, new { antispam = true }, Ct));
        Assert.True(BoolOf(patched, "antispam"));
        Assert.Equal(1000, IntOf(patched, "quota"));

        // What cannot be honoured is refused by name, and nothing changes.
        var other = await Api.CreateOrgAsync();
        current["organization"] = new JsonObject { ["id"] = other.Id };
        await ErrorAsync(box.Admin.PutAsJsonAsync(path, current, Ct), HttpStatusCode.BadRequest, "organization");
        await ErrorAsync(box.Admin.PatchAsJsonAsync(path, new { quota = 200 }, Ct), HttpStatusCode.BadRequest, "quota");
        await ErrorAsync(box.Admin.PatchAsJsonAsync(path, new { type = "alias" }, Ct), HttpStatusCode.BadRequest, "type");
        await ErrorAsync(box.Admin.PatchAsJsonAsync(path, new { name = "renamed-" + box.Org.Domain }, Ct), HttpStatusCode.BadRequest, "name");
        await ErrorAsync(box.Admin.PutAsJsonAsync($"{Root}/domains/{other.DomainId}/", new { quota = 10 }, Ct), HttpStatusCode.NotFound);
        var after = await OkAsync(box.Admin.GetAsync(path, Ct));
        Assert.Equal(1000, IntOf(after, "quota"));
        Assert.Equal(box.Org.Domain, TextOf(after, "name"));

        // A domain without mailboxes can be renamed.
        var empty = await Api.CreateOrgAsync();
        var emptyAdmin = await TokenClientAsync(empty.AdminUsername);
        var renamed = await OkAsync(emptyAdmin.PatchAsJsonAsync($"{Root}/domains/{empty.DomainId}/", new { name = "new-" + empty.Domain }, Ct));
        Assert.Equal("new-" + empty.Domain, TextOf(renamed, "name"));
    }

    [Fact]
    public async Task Delete_needs_force_while_mailboxes_remain_and_the_domain_can_be_restored()
    {
        var box = await MailboxAsync("indomain");
        var path = $"{Root}/domains/{box.Org.DomainId}/";
        var name = TextOf(await OkAsync(box.Admin.GetAsync(path, Ct)), "name");

        await ErrorAsync(box.Admin.DeleteAsync(path, Ct), HttpStatusCode.Conflict, "1 mailbox remains");
        var deleted = await OkAsync(box.Admin.DeleteAsync(path + "?force=true", Ct));
        Assert.True(BoolOf(deleted, "success"));
        Assert.Equal(1, IntOf(deleted, "mailboxes_deleted"));
        await ErrorAsync(box.Admin.GetAsync(path, Ct), HttpStatusCode.NotFound);
        Assert.DoesNotContain(BareArray(await OkAsync(box.Admin.GetAsync($"{Root}/domains/", Ct))).EnumerateArray(), d => d.GetProperty("name").GetString() == name);
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", box.Address));
        Assert.Equal("", TextOf(await OkAsync((await SuperadminTokenAsync()).GetAsync($"{Root}/admin/organizations/{box.Org.Id}/", Ct)), "domain_name"));

        // Its name stays reserved for the restore.
        await ErrorAsync(PostJsonAsync(box.Admin, "/domains/", ClientDomainBody(name)), HttpStatusCode.Conflict, "restore");
        var listed = BareArray(await OkAsync(box.Admin.GetAsync($"{Root}/domains/deleted/", Ct)));
        Assert.Equal(1, IntOf(ById(listed, box.Org.DomainId)!.Value, "mailboxes"));

        var restored = await OkAsync(PostJsonAsync(box.Admin, $"/domains/{box.Org.DomainId}/restore/", new { }));
        Assert.Equal(1, IntOf(restored, "mailboxes_restored"));
        Assert.Equal(1, IntOf(await OkAsync(box.Admin.GetAsync(path, Ct)), "total_mailboxes"));
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", box.Address));

        var other = await Api.CreateOrgAsync();
        await ErrorAsync(box.Admin.DeleteAsync($"{Root}/domains/{other.DomainId}/", Ct), HttpStatusCode.NotFound);
        await ErrorAsync(PostJsonAsync(box.Admin, $"/domains/{other.DomainId}/restore/", new { }), HttpStatusCode.NotFound);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>The admin portal's organization pages: list, detail, create, edit, bulk suspend/activate, delete.</summary>
public sealed class ClientOrganizationTests(ApiFactory factory) : DirectoryClientTest(factory)
{
    [Fact]
    public async Task The_create_form_makes_the_organization_and_its_domain_and_the_detail_page_reads_the_clients_fields()
    {
        var superadmin = await SuperadminTokenAsync();
        var name = Unique("acme");
        var domainName = name + ".test";

        // The create form's exact body: is_active always true, max_storage_gb in GB.
        var created = await CreatedAsync(PostJsonAsync(superadmin, "/admin/organizations/",
            new { name, domain_name = domainName, max_users = 10, max_storage_gb = 5, is_active = true }));
        var id = IntOf(created, "id");
        Assert.Equal(name, TextOf(created, "name"));

        // Detail page (and the edit form's prefill): GET by id.
        var detail = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{id}/", Ct));
        Assert.Equal(id, IntOf(detail, "id"));
        Assert.Equal(name, TextOf(detail, "name"));
        Assert.Equal(domainName, TextOf(detail, "domain_name"));
        Assert.Equal(10, IntOf(detail, "max_users"));
        Assert.Equal(5, IntOf(detail, "max_storage_gb"));
        Assert.True(BoolOf(detail, "is_active"));
        Assert.Equal(0, IntOf(detail, "current_users"));
        var usage = detail.GetProperty("storage_usage");
        Assert.Equal(0, NumberOf(usage, "used_mb"));
        Assert.Equal(5 * 1024, NumberOf(usage, "limit_mb"));
        Assert.Equal(0, NumberOf(usage, "percentage"));
        Assert.Equal(0, NumberOf(detail, "storage_used_mb"));
        Assert.InRange(Timestamp(detail, "created_at"), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(5 * 1024, IntOf(detail, "total_quota_mb")); // ours, in MB

        // The pages match a domain to its organization by name: the domain exists, in that organization.
        var domains = BareArray(await OkAsync(superadmin.GetAsync($"{Root}/domains/", Ct)));
        var domain = domains.EnumerateArray().Single(d => d.GetProperty("name").GetString() == TextOf(detail, "domain_name"));
        Assert.Equal(id, IntOf(domain.GetProperty("organization"), "id"));

        // The client's own server's path.
        var aliasName = Unique("alias");
        var alias = await CreatedAsync(PostJsonAsync(superadmin, "/admin/organizations/create/",
            new { name = aliasName, domain_name = aliasName + ".test", max_users = 0, max_storage_gb = 0, is_active = true }));
        Assert.Equal(aliasName + ".test", TextOf(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{IntOf(alias, "id")}/", Ct)), "domain_name"));
    }

    [Fact]
    public async Task Create_names_the_missing_or_bad_field_refuses_duplicates_and_changes_nothing()
    {
        var superadmin = await SuperadminTokenAsync();
        var name = Unique("dup");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { domain_name = name + ".test", max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.BadRequest, "name");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/create/", new { name, max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.BadRequest, "domain_name");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name, domain_name = "not a domain", max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.BadRequest, "domain_name");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name, domain_name = name + ".test", max_users = -1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.BadRequest, "max_users");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name, domain_name = name + ".test", max_users = 1, max_storage_gb = -2, is_active = true }),
            HttpStatusCode.BadRequest, "max_storage_gb");
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.organizations WHERE name = $1", name));

        await CreatedAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name, domain_name = name + ".test", max_users = 1, max_storage_gb = 1, is_active = true }));
        // The same domain under another name, and the same name with another domain: 409, and neither half is created.
        var other = Unique("other");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name = other, domain_name = name + ".test", max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.Conflict, name + ".test");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/", new { name, domain_name = other + ".test", max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.Conflict, name);
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.organizations WHERE name = $1", other));
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.domains WHERE name = $1", other + ".test"));

        var org = await Api.CreateOrgAsync();
        var orgAdmin = await TokenClientAsync(org.AdminUsername);
        await ErrorAsync(PostJsonAsync(orgAdmin, "/admin/organizations/", new { name = other, domain_name = other + ".test", max_users = 1, max_storage_gb = 1, is_active = true }),
            HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_list_is_a_bare_array_with_users_and_storage_in_the_clients_units()
    {
        var org = await Api.CreateOrgAsync(maxAccounts: 5, totalQuotaMb: 2048);
        var admin = await TokenClientAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "a@" + org.Domain, quotaMb: 100);
        await Api.CreateAccountAsync(admin, "b@" + org.Domain, quotaMb: 100);
        await ApiFactory.ScalarAsync("INSERT INTO directory.mailbox_usage (email, bytes, messages) VALUES ($1, $2, 3)", "a@" + org.Domain, 512L * 1024 * 1024);

        var superadmin = await SuperadminTokenAsync();
        var list = BareArray(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/", Ct)));
        var mine = ById(list, org.Id) ?? throw new InvalidOperationException("organization missing from the list");
        Assert.Equal(org.Domain, TextOf(mine, "domain_name"));
        Assert.Equal(2, IntOf(mine, "current_users"));
        Assert.Equal(5, IntOf(mine, "max_users"));
        Assert.Equal(2, IntOf(mine, "max_storage_gb"));
        Assert.True(BoolOf(mine, "is_active"));
        Assert.Equal(512, NumberOf(mine, "storage_used_mb"));
        var usage = mine.GetProperty("storage_usage");
        Assert.Equal(512, NumberOf(usage, "used_mb"));
        Assert.Equal(2048, NumberOf(usage, "limit_mb"));
        Assert.Equal(25.0, NumberOf(usage, "percentage"));
        foreach (var item in list.EnumerateArray())
        {
            IntOf(item, "id");
            TextOf(item, "domain_name");
        }

        var orgAdmin = await TokenClientAsync(org.AdminUsername);
        await ErrorAsync(orgAdmin.GetAsync($"{Root}/admin/organizations/", Ct), HttpStatusCode.Forbidden);
        // An org admin sees their own organization's detail, nobody else's.
        Assert.Equal(org.Id, IntOf(await OkAsync(orgAdmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct)), "id"));
        var other = await Api.CreateOrgAsync();
        await ErrorAsync(orgAdmin.GetAsync($"{Root}/admin/organizations/{other.Id}/", Ct), HttpStatusCode.NotFound);
        await ErrorAsync(superadmin.GetAsync($"{Root}/admin/organizations/999999999/", Ct), HttpStatusCode.NotFound, "not found");
    }

    [Fact]
    public async Task The_edit_form_sends_all_five_fields_and_an_unchanged_value_changes_nothing()
    {
        var superadmin = await SuperadminTokenAsync();
        var org = await Api.CreateOrgAsync(maxAccounts: 10, totalQuotaMb: 2000);
        var admin = await TokenClientAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "x@" + org.Domain, quotaMb: 700);
        await Api.CreateAccountAsync(admin, "y@" + org.Domain, quotaMb: 700);

        // Prefill from GET, change only the name, send all five back as the form does.
        var form = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct));
        Assert.Equal(2, IntOf(form, "max_storage_gb")); // 2000 MB reads as 2 GB (rounded up: a limit never reads as 0 = none)
        var renamed = Unique("renamed");
        var edited = await OkAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/", new
        {
            name = renamed,
            domain_name = TextOf(form, "domain_name"),
            max_users = IntOf(form, "max_users"),
            max_storage_gb = IntOf(form, "max_storage_gb"),
            is_active = BoolOf(form, "is_active"),
        }, Ct));
        Assert.Equal(renamed, TextOf(edited, "name"));
        Assert.Equal(2000, IntOf(edited, "total_quota_mb")); // the GB it showed meant "unchanged"
        Assert.Equal(org.Domain, TextOf(edited, "domain_name"));
        Assert.Equal(10, IntOf(edited, "max_users"));

        // The client's server's alias, with PUT: new limits in the client's units, and suspension.
        var updated = await OkAsync(superadmin.PutAsJsonAsync($"{Root}/admin/organizations/{org.Id}/update/",
            new { name = renamed, domain_name = org.Domain, max_users = 3, max_storage_gb = 3, is_active = false }, Ct));
        Assert.Equal(3, IntOf(updated, "max_users"));
        Assert.Equal(3, IntOf(updated, "max_storage_gb"));
        Assert.Equal(3 * 1024, IntOf(updated, "total_quota_mb"));
        Assert.False(BoolOf(updated, "is_active"));
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "x@" + org.Domain));
        await OkAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/update/",
            new { name = renamed, domain_name = org.Domain, max_users = 3, max_storage_gb = 3, is_active = true }, Ct));
        Assert.Equal(true, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_accounts WHERE email = $1", "x@" + org.Domain));

        // Limits below what is used, and another domain_name while mailboxes use the domain: 400 naming the field.
        await ErrorAsync(superadmin.PutAsJsonAsync($"{Root}/admin/organizations/{org.Id}/",
            new { name = renamed, domain_name = org.Domain, max_users = 1, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.BadRequest, "max_users");
        await ErrorAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/",
            new { name = renamed, domain_name = org.Domain, max_users = 3, max_storage_gb = 1, is_active = true }, Ct), HttpStatusCode.BadRequest, "max_storage_gb");
        await ErrorAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{org.Id}/",
            new { name = renamed, domain_name = "elsewhere-" + org.Domain, max_users = 3, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.BadRequest, "domain_name");
        await ErrorAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/999999999/",
            new { name = renamed, domain_name = org.Domain, max_users = 3, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.NotFound);
        await ErrorAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/999999999/update/",
            new { name = renamed, domain_name = org.Domain, max_users = 3, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.NotFound);
        await ErrorAsync(superadmin.PutAsJsonAsync($"{Root}/admin/organizations/{org.Id}/update/",
            new { name = renamed, domain_name = org.Domain, max_users = -3, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.BadRequest, "max_users");
        await ErrorAsync(admin.PutAsJsonAsync($"{Root}/admin/organizations/{org.Id}/",
            new { name = renamed, domain_name = org.Domain, max_users = 30, max_storage_gb = 3, is_active = true }, Ct), HttpStatusCode.Forbidden);
        Assert.Equal(4, IntOf(await OkAsync(superadmin.PutAsJsonAsync($"{Root}/admin/organizations/{org.Id}/",
            new { name = renamed, domain_name = org.Domain, max_users = 4, max_storage_gb = 3, is_active = true }, Ct)), "max_users"));
        var after = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct));
        Assert.Equal(org.Domain, TextOf(after, "domain_name"));
        Assert.Equal(4, IntOf(after, "max_users"));
        Assert.Equal(3, IntOf(after, "max_storage_gb"));

        // An organization whose domain has no mailbox yet may take another domain_name: the domain is renamed.
        var empty = await Api.CreateOrgAsync();
        var newDomain = "renamed-" + empty.Domain;
        var moved = await OkAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{empty.Id}/",
            new { name = "Org " + empty.Slug, domain_name = newDomain, max_users = 0, max_storage_gb = 0, is_active = true }, Ct));
        Assert.Equal(newDomain, TextOf(moved, "domain_name"));
        Assert.Equal(newDomain, TextOf(await OkAsync(superadmin.GetAsync($"{Root}/domains/{empty.DomainId}/", Ct)), "name"));
        await ErrorAsync(superadmin.PatchAsJsonAsync($"{Root}/admin/organizations/{empty.Id}/",
            new { name = "Org " + empty.Slug, domain_name = org.Domain, max_users = 0, max_storage_gb = 0, is_active = true }, Ct), HttpStatusCode.Conflict, org.Domain);
    }

    [Fact]
    public async Task Bulk_suspend_and_activate_stop_and_restart_whole_organizations()
    {
        var superadmin = await SuperadminTokenAsync();
        var first = await Api.CreateOrgAsync();
        var second = await Api.CreateOrgAsync();
        var admin = await TokenClientAsync(first.AdminUsername);

        var suspended = await OkAsync(PostJsonAsync(superadmin, "/admin/organizations/bulk-suspend/", new { ids = new[] { first.Id, second.Id, 999999999L } }));
        Assert.Equal(2, IntOf(suspended, "updated"));
        Assert.Contains("suspended", TextOf(suspended, "detail"), StringComparison.Ordinal);
        await ErrorAsync(admin.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        var list = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/", Ct));
        Assert.False(BoolOf(ById(list, first.Id)!.Value, "is_active"));
        Assert.False(BoolOf(ById(list, second.Id)!.Value, "is_active"));

        var activated = await OkAsync(PostJsonAsync(superadmin, "/admin/organizations/bulk-activate/", new { ids = new[] { first.Id } }));
        Assert.Equal(1, IntOf(activated, "updated"));
        await TokenClientAsync(first.AdminUsername);
        list = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/", Ct));
        Assert.True(BoolOf(ById(list, first.Id)!.Value, "is_active"));
        Assert.False(BoolOf(ById(list, second.Id)!.Value, "is_active"));

        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/bulk-activate/", new { ids = Array.Empty<long>() }), HttpStatusCode.BadRequest, "ids");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/bulk-suspend/", new { }), HttpStatusCode.BadRequest, "ids");
        await ErrorAsync(PostJsonAsync(superadmin, "/admin/organizations/bulk-suspend/", new { ids = new[] { "one" } }), HttpStatusCode.BadRequest);
        var orgAdmin = await TokenClientAsync(first.AdminUsername);
        await ErrorAsync(PostJsonAsync(orgAdmin, "/admin/organizations/bulk-suspend/", new { ids = new[] { second.Id } }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Delete_needs_force_while_mailboxes_remain_and_can_be_undone()
    {
        var superadmin = await SuperadminTokenAsync();
        var org = await Api.CreateOrgAsync();
        var admin = await TokenClientAsync(org.AdminUsername);
        await Api.CreateAccountAsync(admin, "one@" + org.Domain);
        await Api.CreateAccountAsync(admin, "two@" + org.Domain);

        await ErrorAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/", Ct), HttpStatusCode.Conflict, "2 mailboxes remain");
        await ErrorAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/?force=perhaps", Ct), HttpStatusCode.BadRequest, "force");
        await ErrorAsync(admin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/?force=true", Ct), HttpStatusCode.Forbidden);
        Assert.True(BoolOf(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct)), "is_active"));

        var deleted = await OkAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/?force=true", Ct));
        Assert.True(BoolOf(deleted, "success"));
        Assert.Equal(2, IntOf(deleted, "mailboxes_deleted"));
        var restorableUntil = Timestamp(deleted, "restorable_until");
        Assert.InRange(restorableUntil - Timestamp(deleted, "deleted_at"), TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1), TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));

        // Gone from every read, its admin's token dead, its mailboxes refused by the mail server.
        await ErrorAsync(superadmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct), HttpStatusCode.NotFound);
        Assert.Null(ById(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/", Ct)), org.Id));
        Assert.DoesNotContain(BareArray(await OkAsync(superadmin.GetAsync($"{Root}/domains/", Ct))).EnumerateArray(), d => d.GetProperty("name").GetString() == org.Domain);
        await ErrorAsync(admin.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM directory.mail_accounts WHERE domain = $1 AND active", org.Domain));
        Assert.Equal(false, await ApiFactory.ScalarAsync("SELECT active FROM directory.mail_domains WHERE domain = $1", org.Domain));
        await ErrorAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{org.Id}/", Ct), HttpStatusCode.NotFound);

        var listed = BareArray(await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/deleted/", Ct)));
        var entry = ById(listed, org.Id) ?? throw new InvalidOperationException("deleted organization not listed");
        Assert.Equal(2, IntOf(entry, "mailboxes"));
        Assert.Equal(restorableUntil, Timestamp(entry, "restorable_until"));

        var restored = await OkAsync(PostJsonAsync(superadmin, $"/admin/organizations/{org.Id}/restore/", new { }));
        Assert.Equal(2, IntOf(restored, "mailboxes_restored"));
        var back = await OkAsync(superadmin.GetAsync($"{Root}/admin/organizations/{org.Id}/", Ct));
        Assert.Equal(org.Domain, TextOf(back, "domain_name"));
        Assert.Equal(2, IntOf(back, "current_users"));
        await TokenClientAsync(org.AdminUsername);
        await TokenClientAsync("one@" + org.Domain);
        await ErrorAsync(PostJsonAsync(superadmin, $"/admin/organizations/{org.Id}/restore/", new { }), HttpStatusCode.NotFound);

        // The alias path, on an organization whose domain holds no mailbox: no force needed.
        var empty = await Api.CreateOrgAsync();
        Assert.Equal(0, IntOf(await OkAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/{empty.Id}/delete/", Ct)), "mailboxes_deleted"));
        await ErrorAsync(superadmin.GetAsync($"{Root}/admin/organizations/{empty.Id}/", Ct), HttpStatusCode.NotFound);
        await ErrorAsync(superadmin.DeleteAsync($"{Root}/admin/organizations/999999999/delete/", Ct), HttpStatusCode.NotFound);
    }
}

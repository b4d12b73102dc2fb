using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests;

public sealed class UserTests(ApiFactory factory) : ApiTest(factory)
{
    // A bare array by default (the client's form); Django REST framework's page when paging is asked for.
    private static List<string> Usernames(JsonElement list) =>
        (list.ValueKind == JsonValueKind.Array ? list : list.GetProperty("results")).EnumerateArray()
            .Select(u => u.GetProperty("username").GetString()!).ToList();

    [Fact]
    public async Task Users_are_scoped_org_admin_sees_only_their_organization_and_user_only_self()
    {
        var a = await Api.CreateOrgAsync();
        var b = await Api.CreateOrgAsync();
        var adminA = await Api.AsAsync(a.AdminUsername);
        var adminB = await Api.AsAsync(b.AdminUsername);
        await Api.CreateAccountAsync(adminA, "alice@" + a.Domain);
        await Api.CreateAccountAsync(adminB, "bob@" + b.Domain);

        var seenByA = Usernames(await TestApi.ReadAsync(await adminA.GetAsync($"{Root}/users/", Ct), HttpStatusCode.OK));
        Assert.Equal(new[] { "admin@" + a.Domain, "alice@" + a.Domain }.Order(), seenByA.Order());

        var alice = await Api.AsAsync("alice@" + a.Domain);
        var seenByAlice = await TestApi.ReadAsync(await alice.GetAsync($"{Root}/users/", Ct), HttpStatusCode.OK);
        Assert.Equal(["alice@" + a.Domain], Usernames(seenByAlice));
        Assert.Equal(1, seenByAlice.GetArrayLength());

        var superadmin = await Api.SuperadminAsync();
        var filtered = Usernames(await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/users/?organization={b.Id}", Ct), HttpStatusCode.OK));
        Assert.Contains("bob@" + b.Domain, filtered);
        Assert.DoesNotContain("alice@" + a.Domain, filtered);
    }

    [Fact]
    public async Task Users_page_in_django_rest_framework_form_on_request()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        for (var i = 0; i < 4; i++)
        {
            await Api.CreateAccountAsync(admin, $"p{i}@{org.Domain}");
        }

        // Five users: the admin and four mailboxes; pages of two (limit is a synonym of page_size).
        var first = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?page=1&limit=2", Ct), HttpStatusCode.OK);
        var last = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?page=3&page_size=2", Ct), HttpStatusCode.OK);
        Assert.Equal(5, first.GetProperty("count").GetInt32());
        Assert.Contains("page=2", first.GetProperty("next").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("previous").ValueKind);
        Assert.Equal(2, first.GetProperty("results").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("next").ValueKind);
        Assert.Contains("page=2", last.GetProperty("previous").GetString(), StringComparison.Ordinal);
        Assert.Single(last.GetProperty("results").EnumerateArray());

        var searched = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?search=p3@", Ct), HttpStatusCode.OK);
        Assert.Equal(["p3@" + org.Domain], Usernames(searched));
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=abc")]
    [InlineData("limit=0")]
    [InlineData("page_size=201")]
    public async Task Bad_paging_is_400(string query)
    {
        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/users/?{query}", Ct), HttpStatusCode.BadRequest,
            query.StartsWith("page=", StringComparison.Ordinal) ? "page" : "page_size");
    }

    [Fact]
    public async Task A_user_outside_scope_cannot_be_changed_and_nobody_disables_themselves()
    {
        var a = await Api.CreateOrgAsync();
        var b = await Api.CreateOrgAsync();
        var adminA = await Api.AsAsync(a.AdminUsername);
        await TestApi.AssertErrorAsync(await adminA.PatchAsJsonAsync($"{Root}/users/{b.AdminUserId}/", new { is_active = false }, Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await adminA.PatchAsJsonAsync($"{Root}/users/{a.AdminUserId}/", new { is_active = false }, Ct), HttpStatusCode.BadRequest, "is_active");

        await Api.CreateAccountAsync(adminA, "self@" + a.Domain);
        var self = await Api.AsAsync("self@" + a.Domain);
        var me = await TestApi.ReadAsync(await self.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        var renamed = await TestApi.ReadAsync(await self.PatchAsJsonAsync($"{Root}/users/{me.GetProperty("id").GetInt64()}/", new { first_name = "Selma" }, Ct), HttpStatusCode.OK);
        Assert.Equal("Selma", renamed.GetProperty("first_name").GetString());
        await TestApi.AssertErrorAsync(await self.PatchAsJsonAsync($"{Root}/users/{a.AdminUserId}/", new { first_name = "Hacked" }, Ct), HttpStatusCode.NotFound);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests;

public sealed class UserTests(ApiFactory factory) : ApiTest(factory)
{
    private static List<string> Usernames(JsonElement list) =>
        list.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("username").GetString()!).ToList();

    [Fact]
    public async Task Users_are_scoped_org_admin_sees_only_their_organization_and_user_only_self()
    {
        var a = await Api.CreateOrgAsync();
        var b = await Api.CreateOrgAsync();
        var adminA = await Api.AsAsync(a.AdminUsername);
        var adminB = await Api.AsAsync(b.AdminUsername);
        await Api.CreateAccountAsync(adminA, "alice@" + a.Domain);
        await Api.CreateAccountAsync(adminB, "bob@" + b.Domain);

        var seenByA = Usernames(await TestApi.ReadAsync(await adminA.GetAsync($"{Root}/users/?limit=200", Ct), HttpStatusCode.OK));
        Assert.Equal(new[] { "admin@" + a.Domain, "alice@" + a.Domain }.Order(), seenByA.Order());

        var alice = await Api.AsAsync("alice@" + a.Domain);
        var seenByAlice = await TestApi.ReadAsync(await alice.GetAsync($"{Root}/users/", Ct), HttpStatusCode.OK);
        Assert.Equal(["alice@" + a.Domain], Usernames(seenByAlice));
        Assert.Equal(1, seenByAlice.GetProperty("total").GetInt32());

        var superadmin = await Api.SuperadminAsync();
        var filtered = Usernames(await TestApi.ReadAsync(await superadmin.GetAsync($"{Root}/users/?organization={b.Id}", Ct), HttpStatusCode.OK));
        Assert.Contains("bob@" + b.Domain, filtered);
        Assert.DoesNotContain("alice@" + a.Domain, filtered);
    }

    [Fact]
    public async Task Users_page_with_total_and_next_prev_flags()
    {
        var org = await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        for (var i = 0; i < 4; i++)
        {
            await Api.CreateAccountAsync(admin, $"p{i}@{org.Domain}");
        }

        // Five users: the admin and four mailboxes; pages of two.
        var first = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?page=1&limit=2", Ct), HttpStatusCode.OK);
        var last = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?page=3&limit=2", Ct), HttpStatusCode.OK);
        Assert.Equal(5, first.GetProperty("total").GetInt32());
        Assert.Equal(1, first.GetProperty("page").GetInt32());
        Assert.True(first.GetProperty("has_next").GetBoolean());
        Assert.False(first.GetProperty("has_prev").GetBoolean());
        Assert.Equal(2, first.GetProperty("users").GetArrayLength());
        Assert.False(last.GetProperty("has_next").GetBoolean());
        Assert.True(last.GetProperty("has_prev").GetBoolean());
        Assert.Single(last.GetProperty("users").EnumerateArray());

        var searched = await TestApi.ReadAsync(await admin.GetAsync($"{Root}/users/?search=p3@", Ct), HttpStatusCode.OK);
        Assert.Equal(["p3@" + org.Domain], Usernames(searched));
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=abc")]
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    public async Task Bad_paging_is_400(string query)
    {
        var superadmin = await Api.SuperadminAsync();
        await TestApi.AssertErrorAsync(await superadmin.GetAsync($"{Root}/users/?{query}", Ct), HttpStatusCode.BadRequest, query.Split('=')[0]);
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

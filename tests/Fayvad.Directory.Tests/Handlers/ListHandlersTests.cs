using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Features.Aliases;
using Fayvad.Directory.Features.ListDomains;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;

namespace Fayvad.Directory.Tests.Handlers;

/// <summary>The list handlers' scoping, filters and windows, run against the real PostgreSQL, without HTTP.</summary>
public sealed class ListHandlersTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DirectoryStore _store = null!;

    public ValueTask InitializeAsync()
    {
        _store = new DirectoryStore();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private async Task<ListSlice<DomainDto>> DomainsAsync(Caller caller, ListWindow window, long? organization = null)
    {
        await using var db = _store.Context();
        var result = await new ListDomainsHandler(db, caller).Handle(new ListDomainsQuery(window, organization), Ct);
        return result.Value;
    }

    [Fact]
    public async Task A_superadmin_filters_by_organization_and_pages_in_name_order()
    {
        var acme = await _store.OrganizationAsync("Acme", Ct);
        var other = await _store.OrganizationAsync("Other", Ct);
        foreach (var label in new[] { "c", "a", "b" })
        {
            await _store.DomainAsync(acme, label, Ct);
        }

        await _store.DomainAsync(other, "z", Ct);
        var superadmin = new Caller(UserRole.Superadmin, null);

        var all = await DomainsAsync(superadmin, ListWindow.All, acme.Id);
        Assert.Equal([$"a-{_store.Tag}.example", $"b-{_store.Tag}.example", $"c-{_store.Tag}.example"], all.Items.Select(d => d.Name));
        Assert.Equal(3, all.Count);

        var second = await DomainsAsync(superadmin, new ListWindow(2, 2, true), acme.Id);
        Assert.Equal([$"c-{_store.Tag}.example"], second.Items.Select(d => d.Name));
        Assert.Equal(3, second.Count);
    }

    [Fact]
    public async Task An_organization_admin_sees_only_the_own_organization_whatever_it_asks_for()
    {
        var mine = await _store.OrganizationAsync("Mine", Ct);
        var theirs = await _store.OrganizationAsync("Theirs", Ct);
        await _store.DomainAsync(mine, "own", Ct);
        await _store.DomainAsync(theirs, "foreign", Ct);
        var admin = new Caller(UserRole.OrgAdmin, mine.Id);

        Assert.Equal([$"own-{_store.Tag}.example"], (await DomainsAsync(admin, ListWindow.All)).Items.Select(d => d.Name));
        Assert.Equal([$"own-{_store.Tag}.example"], (await DomainsAsync(admin, ListWindow.All, theirs.Id)).Items.Select(d => d.Name));
    }

    [Fact]
    public async Task A_deleted_domain_is_not_listed()
    {
        var organization = await _store.OrganizationAsync("Gone", Ct);
        await _store.DomainAsync(organization, "kept", Ct);
        await _store.DomainAsync(organization, "deleted", Ct, DateTimeOffset.UtcNow);

        var listed = await DomainsAsync(new Caller(UserRole.Superadmin, null), ListWindow.All, organization.Id);
        Assert.Equal([$"kept-{_store.Tag}.example"], listed.Items.Select(d => d.Name));
    }

    [Fact]
    public async Task Alias_search_takes_percent_and_underscore_literally()
    {
        var organization = await _store.OrganizationAsync("Search", Ct);
        var domain = await _store.DomainAsync(organization, "s", Ct);
        await _store.AliasAsync(domain, "sales_team", "100% of sales", Ct);
        await _store.AliasAsync(domain, "salesxteam", "most of sales", Ct);
        var admin = new Caller(UserRole.OrgAdmin, organization.Id);

        async Task<IEnumerable<string>> SearchAsync(string? search, string? domainName = null)
        {
            await using var db = _store.Context();
            var result = await new ListAliasesHandler(db, admin, TimeProvider.System)
                .Handle(new ListAliasesQuery(ListWindow.All, null, domainName, search), Ct);
            return result.Value.Items.Select(a => a.Address.Split('@')[0]);
        }

        Assert.Equal(["sales_team"], await SearchAsync("s_t"));
        Assert.Equal(["sales_team"], await SearchAsync("100%"));
        Assert.Equal(["sales_team", "salesxteam"], await SearchAsync("SALES"));
        Assert.Equal(["sales_team", "salesxteam"], await SearchAsync(null, domain.Name.ToUpperInvariant()));
        Assert.Empty(await SearchAsync(null, "elsewhere.example"));
    }

    [Fact]
    public async Task Aliases_are_for_admins_and_an_admin_without_an_organization_is_told_so()
    {
        await using var db = _store.Context();
        var user = await new ListAliasesHandler(db, new Caller(UserRole.User, null), TimeProvider.System)
            .Handle(new ListAliasesQuery(ListWindow.All, null, null, null), Ct);
        Assert.Equal(ErrorKind.Forbidden, user.Error?.Kind);

        var orphan = await new ListAliasesHandler(db, new Caller(UserRole.OrgAdmin, null), TimeProvider.System)
            .Handle(new ListAliasesQuery(ListWindow.All, null, null, null), Ct);
        Assert.Equal(ErrorKind.Validation, orphan.Error?.Kind);

        var missing = await new ListAliasesHandler(db, new Caller(UserRole.Superadmin, null), TimeProvider.System)
            .Handle(new ListAliasesQuery(ListWindow.All, long.MaxValue, null, null), Ct);
        Assert.Equal(ErrorKind.NotFound, missing.Error?.Kind);
    }
}

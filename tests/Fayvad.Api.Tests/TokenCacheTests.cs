using System.Net;
using Fayvad.Api.Tests.Mail;
using Npgsql;

namespace Fayvad.Api.Tests;

/// <summary>
/// Validated tokens are cached per node (docs/adr/0014): a cached token is answered without reading the token table,
/// and any revocation or Directory change, on whichever node or straight in SQL, ends access on every node at once.
/// </summary>
[Collection(ApiProcesses.Name)]
public sealed class TokenCacheTests(ApiFactory factory) : MailTest(factory)
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_cached_token_needs_no_token_lookup_and_a_logout_on_another_node_ends_it_at_once()
    {
        var box = await MailboxAsync();
        var (onA, login) = await Api.LoginAsync(box.Address, TestApi.Password);
        var token = login.GetProperty("token").GetString()!;
        await using var nodeB = await HostProcess.StartAsync("cache-b-" + Guid.NewGuid().ToString("N")[..6], Ct);
        using var onB = nodeB.Client(token);
        await WarmAsync(onB);

        // With the token table locked, a request that had to read it would wait; the cached one does not.
        await using (var locker = new NpgsqlConnection(StackSettings.DbConnection))
        {
            await locker.OpenAsync(Ct);
            await using var transaction = await locker.BeginTransactionAsync(Ct);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE identity.access_tokens IN ACCESS EXCLUSIVE MODE", locker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync(Ct);
            }

            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var both = CancellationTokenSource.CreateLinkedTokenSource(quick.Token, Ct);
            await TestApi.ReadAsync(await onB.GetAsync($"{Root}/auth/me/", both.Token), HttpStatusCode.OK);
            await transaction.RollbackAsync(Ct);
        }

        // Logout on this node (the in-process API): node B refuses the token within moments, no restart.
        Assert.Equal(HttpStatusCode.NoContent, (await onA.PostAsync($"{Root}/auth/logout/", null, Ct)).StatusCode);
        await AssertRefusedSoonAsync(onB);
        await TestApi.AssertErrorAsync(await onA.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_user_disabled_straight_in_sql_loses_access_on_a_node_that_had_cached_the_token()
    {
        var box = await MailboxAsync();
        var token = (await Api.LoginAsync(box.Address, TestApi.Password)).Login.GetProperty("token").GetString()!;
        await using var nodeB = await HostProcess.StartAsync("cache-b-" + Guid.NewGuid().ToString("N")[..6], Ct);
        using var onB = nodeB.Client(token);
        await WarmAsync(onB);

        // No API involved: the Directory table's trigger tells every node.
        await ApiFactory.ScalarAsync("UPDATE directory.email_accounts SET enabled = false WHERE address = $1", box.Address);
        await AssertRefusedSoonAsync(onB);

        await ApiFactory.ScalarAsync("UPDATE directory.email_accounts SET enabled = true WHERE address = $1", box.Address);
        await TestApi.ReadAsync(await onB.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
    }

    /// <summary>A few requests, so the token is cached once the node listens (it starts to just after it serves).</summary>
    private static async Task WarmAsync(HttpClient client)
    {
        for (var i = 0; i < 5; i++)
        {
            await TestApi.ReadAsync(await client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
            await Task.Delay(100, Ct);
        }
    }

    private static async Task AssertRefusedSoonAsync(HttpClient client)
    {
        var started = DateTime.UtcNow;
        HttpStatusCode status;
        while ((status = (await client.GetAsync($"{Root}/auth/me/", Ct)).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow - started < Propagation)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }
}

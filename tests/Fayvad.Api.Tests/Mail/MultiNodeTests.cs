namespace Fayvad.Api.Tests.Mail;

[Collection(ApiProcesses.Name)]
public sealed class MultiNodeTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task A_listener_on_one_node_gets_mail_seen_by_the_other_nodes_watcher()
    {
        var box = await MailboxAsync();
        var token = (await Api.LoginAsync(box.Address, TestApi.Password)).Login.GetProperty("token").GetString()!;
        await using var nodeA = await HostProcess.StartAsync("node-a-" + Guid.NewGuid().ToString("N")[..6], Ct);
        await using var nodeB = await HostProcess.StartAsync("node-b-" + Guid.NewGuid().ToString("N")[..6], Ct);
        using var clientA = nodeA.Client(token);
        using var clientB = nodeB.Client(token);

        await using var onA = await SseReader.OpenAsync(clientA, Ct);
        Assert.Equal(nodeA.NodeId, await WatcherAsync(box.Address));
        await using var onB = await SseReader.OpenAsync(clientB, Ct);

        var subject = Unique("across nodes");
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, subject, "x"), Ct);

        var seenOnB = await onB.NextAsync(e => e.Type == "message.new" && e.Data.GetProperty("message").GetProperty("subject").GetString() == subject, Ct);
        var seenOnA = await onA.NextAsync(e => e.Type == "message.new" && e.Data.GetProperty("message").GetProperty("subject").GetString() == subject, Ct);
        Assert.Equal(seenOnA.Id, seenOnB.Id);
        // Node B never held the watch: what it streamed came from node A through PostgreSQL.
        Assert.Equal(nodeA.NodeId, await WatcherAsync(box.Address));
    }

    private static async Task<string?> WatcherAsync(string mailbox) =>
        await ApiFactory.ScalarAsync("SELECT watcher_node FROM sync.mailbox_streams WHERE mailbox = $1", mailbox) as string;
}

using System.Diagnostics;
using MailKit;
using MailKit.Search;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// Push from Dovecot's hints (docs/adr/0021): the in-process API runs in hints mode, as the stack does. Dovecot's
/// push_notification Lua driver sends a UDP hint per committed change; the API syncs on a pooled connection.
/// </summary>
public sealed class PushHintTests(ApiFactory factory) : MailTest(factory)
{
    private static readonly string DovecotConf = StackSettings.Get("DOVECOT_CONF");

    [Fact]
    public async Task Mail_to_inbox_and_an_append_to_another_folder_reach_the_stream_while_no_imap_connection_is_held_for_the_user()
    {
        var box = await MailboxAsync();
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        // Whatever connection the stream's passes used is ended; in notify mode the watcher would reconnect and IDLE.
        // A pass still due from the stream's start (a hint its own baseline caused) may open one more pooled connection
        // after a kick: kicked again until none comes back for 1.5 s.
        await WaitUntilAsync(async () =>
        {
            await Doveadm.RunAsync("-c", DovecotConf, "kick", box.Address);
            await WaitUntilAsync(async () => await ConnectionsAsync(box.Address) == 0, "the user's IMAP sessions to end");
            await Task.Delay(1500, Ct);
            return await ConnectionsAsync(box.Address) == 0;
        }, "no IMAP session of the user's to stay open", seconds: 20);

        var subject = Unique("hinted");
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("far@example.com", box.Address, subject, "hello"), Ct);
        var created = await stream.NextAsync(e => e.Type == MailEventTypes.New && Subject(e) == subject, Ct);
        Assert.Equal("INBOX", created.Data.GetProperty("folder").GetString());

        var filed = Unique("filed");
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("a@example.com", box.Address, filed, "x")], Ct);
        var appended = await stream.NextAsync(e => e.Type == MailEventTypes.New && Subject(e) == filed, Ct);
        Assert.Equal("Junk", appended.Data.GetProperty("folder").GetString());
    }

    /// <summary>
    /// Dovecot rotates a mailbox list's index log (dovecot.list.index.log, at 64 KB); before hints, NOTIFY's STATUS for
    /// unselected folders stopped after that and their events came up to 30 s late (bench/README-push.md). 250 single
    /// APPENDs to one folder rotate it; the next append to another folder must still be an event within 2 s.
    /// </summary>
    [Fact]
    public async Task An_append_to_another_folder_right_after_the_list_index_log_rotates_is_an_event_within_two_seconds()
    {
        var box = await MailboxAsync();
        var (_, home) = await Doveadm.RunAsync("-c", DovecotConf, "user", "-f", "home", box.Address);
        var rotated = Path.Combine(home.Trim(), "Maildir", "dovecot.list.index.log.2");
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        using (var imap = await MailKitTestKit.OpenAsync(box.Address, Ct))
        {
            var sent = await imap.GetFolderAsync("Sent", Ct);
            for (var i = 0; i < 250 && !File.Exists(rotated); i++)
            {
                await sent.AppendAsync(new AppendRequest(MailKitTestKit.Message(box.Address, "b@example.com", $"filler {i}", "x")), Ct);
            }

            await imap.DisconnectAsync(true, Ct);
        }

        Assert.True(File.Exists(rotated), "250 appends did not rotate the list index log");
        var subject = Unique("after rotation");
        var mark = stream.Mark;
        await MailKitTestKit.AppendAsync(box.Address, "Junk", [MailKitTestKit.Message("a@example.com", box.Address, subject, "x")], Ct);
        var appended = Stopwatch.StartNew();
        var ev = await stream.SinceAsync(mark, e => e.Type == MailEventTypes.New && Subject(e) == subject, Ct, seconds: 30);
        Assert.True(appended.Elapsed < TimeSpan.FromSeconds(2), $"the event came {appended.Elapsed.TotalSeconds:0.0} s after the append");
        Assert.Equal("Junk", ev.Data.GetProperty("folder").GetString());
    }

    [Fact]
    public async Task A_flag_set_by_another_imap_client_arrives_as_message_updated()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "Sent", [MailKitTestKit.Message(box.Address, "b@example.com", "sent one", "x")], Ct);
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        using var imap = await MailKitTestKit.OpenAsync(box.Address, Ct);
        var sent = await imap.GetFolderAsync("Sent", Ct);
        await sent.OpenAsync(FolderAccess.ReadWrite, Ct);
        var uid = (await sent.SearchAsync(SearchQuery.All, Ct)).Single();
        await sent.AddFlagsAsync(uid, MessageFlags.Flagged, true, Ct);

        var updated = await stream.NextAsync(MailEventTypes.Updated, Ct);
        Assert.Equal("Sent", updated.Data.GetProperty("folder").GetString());
        Assert.True(updated.Data.GetProperty("is_starred").GetBoolean());
    }

    /// <summary>
    /// A message written straight into the Maildir (as a legacy delivery agent would) makes Dovecot send no hint: the
    /// sweep (every 3 s in the tests) must find it, as it finds what a lost hint hid.
    /// </summary>
    [Fact]
    public async Task A_change_no_hint_announced_is_found_by_the_sweep()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("a@example.com", box.Address, "first", "x")], Ct);
        await using var stream = await SseReader.OpenAsync(box.Client, Ct);

        var (_, home) = await Doveadm.RunAsync("-c", DovecotConf, "user", "-f", "home", box.Address);
        var subject = Unique("behind dovecot");
        var file = Path.Combine(home.Trim(), "Maildir", "new", $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.M1P{Environment.ProcessId}.fayvad-test");
        var raw = new MemoryStream();
        await MailKitTestKit.Message("far@example.com", box.Address, subject, "x").WriteToAsync(raw, Ct);
        await File.WriteAllBytesAsync(file, raw.ToArray(), Ct);
        using (var chown = Process.Start("chown", ["vmail:vmail", file]))
        {
            await chown.WaitForExitAsync(Ct);
        }

        var found = await stream.NextAsync(e => e.Type == MailEventTypes.New && Subject(e) == subject, Ct, seconds: 15);
        Assert.Equal("INBOX", found.Data.GetProperty("folder").GetString());
    }

    [Fact]
    public async Task Dovecot_stores_mail_when_nothing_listens_for_its_hints()
    {
        var box = await MailboxAsync();
        var subject = Unique("unheard");
        var raw = new MemoryStream();
        await MailKitTestKit.Message("far@example.com", box.Address, subject, "x").WriteToAsync(raw, Ct);

        // The same save path as LMTP (push_notification + push-hints.lua), with the hints sent to a port nobody binds.
        var info = new ProcessStartInfo("doveadm") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", DovecotConf, "-o", $"plugin/fayvad_push_hints=127.0.0.1:{UnusedUdpPort()}", "save", "-u", box.Address, "-m", "INBOX" })
        {
            info.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var save = Process.Start(info)!;
        await save.StandardInput.BaseStream.WriteAsync(raw.ToArray(), Ct);
        save.StandardInput.Close();
        var errors = await save.StandardError.ReadToEndAsync(Ct);
        await save.WaitForExitAsync(Ct);

        Assert.True(save.ExitCode == 0, errors);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"doveadm save took {clock.Elapsed}");
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);
    }

    private static string? Subject(SseEvent e) => e.Data.GetProperty("message").GetProperty("subject").GetString();

    private static async Task<int> ConnectionsAsync(string mailbox)
    {
        var (_, output) = await Doveadm.RunAsync("-c", DovecotConf, "who", "-1", mailbox);
        return output.Split('\n').Count(l => l.StartsWith(mailbox + " ", StringComparison.OrdinalIgnoreCase) && l.Contains("imap", StringComparison.Ordinal));
    }

    private async Task WaitUntilAsync(Func<Task<bool>> done, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100, Ct);
        }
    }

    private static int UnusedUdpPort()
    {
        using var socket = new System.Net.Sockets.UdpClient(0);
        return ((System.Net.IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}

/// <summary>Push across API restarts, with API processes of their own.</summary>
[Collection(ApiProcesses.Name)]
public sealed class PushModeProcessTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task Mail_delivered_while_the_watching_api_is_down_is_an_event_after_its_restart()
    {
        var box = await MailboxAsync();
        var token = (await Api.LoginAsync(box.Address, TestApi.Password)).Login.GetProperty("token").GetString()!;
        var nodeId = "restart-" + Guid.NewGuid().ToString("N")[..6];
        long lastSeen;
        await using (var node = await HostProcess.StartAsync(nodeId, Ct))
        {
            using var client = node.Client(token);
            await using var stream = await SseReader.OpenAsync(client, Ct);
            await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("a@example.com", box.Address, "before", "x"), Ct);
            lastSeen = (await stream.NextAsync("folder.counts", Ct)).Id!.Value;
            await node.KillAsync();
        }

        // Its hint reaches no watcher: the lease still names the dead node.
        var subject = Unique("while down");
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("a@example.com", box.Address, subject, "x"), Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == subject, Ct);

        await using var restarted = await HostProcess.StartAsync(nodeId, Ct);
        using var again = restarted.Client(token);
        await using var resumed = await SseReader.OpenAsync(again, Ct, lastSeen);
        var missed = await resumed.NextAsync(MailEventTypes.New, Ct);
        Assert.Equal(subject, missed.Data.GetProperty("message").GetProperty("subject").GetString());
        Assert.True(missed.Id > lastSeen);
    }
}

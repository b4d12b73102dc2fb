using Fayvad.Mail.Features.ApplyAction;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Tests.Fakes;
using Fayvad.Shared.Results;
using MailKit;

namespace Fayvad.Mail.Tests.Handlers;

/// <summary>
/// What each action does to a mailbox, decided by the handler and carried out on a fake session (the same actions
/// against Dovecot are the API tests' ActionsTests): where messages go, what is flagged, what is reported failed.
/// </summary>
public sealed class ApplyActionHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeMailbox _mailbox = new();

    public ApplyActionHandlerTests()
    {
        _mailbox.Add("Trash", FolderAttributes.Trash);
        _mailbox.Add("Junk", FolderAttributes.Junk);
        _mailbox.Add("Projects");
    }

    [Fact]
    public async Task Delete_moves_to_trash_and_a_delete_in_trash_removes_for_good()
    {
        var inbox = _mailbox["INBOX"].Deliver(2);
        var response = await ApplyAsync("delete", Ids("INBOX", inbox));

        Assert.Equal((true, 2, 2), (response.Success, response.Processed, response.Total));
        Assert.Empty(_mailbox["INBOX"].Uids);
        Assert.Equal(2, _mailbox["Trash"].Uids.Count);
        Assert.Contains("MOVE INBOX 1,2 -> Trash", _mailbox.Commands);

        var inTrash = _mailbox["Trash"].Uids.Select(u => new UniqueId(_mailbox["Trash"].UidValidity, u)).ToList();
        await ApplyAsync("delete", Ids("Trash", inTrash));

        Assert.Empty(_mailbox["Trash"].Uids);
        Assert.Equal(["STORE Trash 1,2 +Deleted", "EXPUNGE Trash 1,2"], _mailbox.Commands.TakeLast(2));
    }

    [Fact]
    public async Task Spam_goes_to_junk_and_back_to_the_inbox_as_an_imap_client_would_move_it()
    {
        var uids = _mailbox["INBOX"].Deliver(1);
        await ApplyAsync("mark_spam", Ids("INBOX", uids));
        Assert.Single(_mailbox["Junk"].Uids);
        Assert.Contains("MOVE INBOX 1 -> Junk", _mailbox.Commands);

        var junk = _mailbox["Junk"].Uids.Select(u => new UniqueId(_mailbox["Junk"].UidValidity, u)).ToList();
        await ApplyAsync("not_spam", Ids("Junk", junk));
        Assert.Empty(_mailbox["Junk"].Uids);
        Assert.Single(_mailbox["INBOX"].Uids);
    }

    [Fact]
    public async Task Without_a_junk_folder_mark_spam_is_404_and_nothing_moves()
    {
        var mailbox = new FakeMailbox();
        var uids = mailbox["INBOX"].Deliver(1);

        var result = await Handler(mailbox).Handle(new ApplyActionCommand("mark_spam", Ids("INBOX", uids, mailbox), null), Ct);

        Assert.Equal(ErrorKind.NotFound, result.Error!.Kind);
        Assert.DoesNotContain(mailbox.Commands, c => c.StartsWith("MOVE", StringComparison.Ordinal) || c.StartsWith("STORE", StringComparison.Ordinal));
        Assert.Single(mailbox["INBOX"].Uids);
    }

    [Fact]
    public async Task Ids_that_no_longer_resolve_are_reported_in_order_and_the_rest_are_processed()
    {
        var uids = _mailbox["INBOX"].Deliver(3);
        _mailbox["INBOX"].Remove(uids[1].Id); // expunged by another client meanwhile
        var stale = MessageIds.Encode("Projects", _mailbox["Projects"].UidValidity + 1, 1); // folder recreated since
        var missingFolder = MessageIds.Encode("Gone", 1, 1);
        var ids = new[] { missingFolder, Id("INBOX", uids[0]), Id("INBOX", uids[1]), stale, Id("INBOX", uids[2]), "not an id" };

        var response = await ApplyAsync("mark_read", ids);

        Assert.False(response.Success);
        Assert.Equal(2, response.Processed);
        Assert.Equal(6, response.Total);
        Assert.Equal([missingFolder, Id("INBOX", uids[1]), stale, "not an id"], response.Failed);
        Assert.Empty(_mailbox["INBOX"].Unseen);
        Assert.Contains("STORE INBOX 1,3 +Seen", _mailbox.Commands);
    }

    [Fact]
    public async Task Flags_are_set_and_cleared_on_a_folder_opened_for_writing()
    {
        var uids = _mailbox["INBOX"].Deliver(1);
        await ApplyAsync("star", Ids("INBOX", uids));
        Assert.True(_mailbox["INBOX"].Flags[uids[0].Id].HasFlag(MessageFlags.Flagged));
        await ApplyAsync("unstar", Ids("INBOX", uids));
        await ApplyAsync("mark_read", Ids("INBOX", uids));
        await ApplyAsync("mark_unread", Ids("INBOX", uids));

        Assert.Equal(MessageFlags.None, _mailbox["INBOX"].Flags[uids[0].Id]);
        Assert.Single(_mailbox["INBOX"].Unseen);
        Assert.All(_mailbox.Commands.Where(c => c.StartsWith("SELECT", StringComparison.Ordinal) || c.StartsWith("EXAMINE", StringComparison.Ordinal)),
            c => Assert.StartsWith("SELECT", c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_move_finds_its_destination_by_a_common_name_and_a_move_into_the_same_folder_changes_nothing()
    {
        var uids = _mailbox["INBOX"].Deliver(1);
        var response = await ApplyAsync("move", Ids("INBOX", uids), folder: "Spam");
        Assert.Equal(1, response.Processed);
        Assert.Single(_mailbox["Junk"].Uids);

        var junk = _mailbox["Junk"].Uids.Select(u => new UniqueId(_mailbox["Junk"].UidValidity, u)).ToList();
        var commands = _mailbox.Commands.Count;
        response = await ApplyAsync("move", Ids("Junk", junk), folder: "Junk");
        Assert.Equal(1, response.Processed);
        Assert.DoesNotContain(_mailbox.Commands.Skip(commands), c => c.StartsWith("MOVE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_move_to_a_folder_that_does_not_exist_is_404_before_anything_is_touched()
    {
        var uids = _mailbox["INBOX"].Deliver(1);

        var result = await Handler(_mailbox).Handle(new ApplyActionCommand("move", Ids("INBOX", uids), "Nowhere"), Ct);

        Assert.Equal(ErrorKind.NotFound, result.Error!.Kind);
        Assert.Equal("Folder 'Nowhere' not found.", result.Error.Message);
        Assert.DoesNotContain(_mailbox.Commands, c => !c.StartsWith("LIST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_without_a_mailbox_is_refused_without_a_session()
    {
        var result = await new ApplyActionHandler(new Caller(null), _mailbox, new MessageLocator())
            .Handle(new ApplyActionCommand("delete", ["x"], null), Ct);

        Assert.Equal(ErrorKind.Forbidden, result.Error!.Kind);
        Assert.Empty(_mailbox.Sessions);
    }

    private async Task<ApplyActionResponse> ApplyAsync(string action, IReadOnlyList<string> ids, string? folder = null)
    {
        var result = await Handler(_mailbox).Handle(new ApplyActionCommand(action, ids, folder), Ct);
        Assert.Equal([_mailbox.Mailbox], _mailbox.Sessions.Distinct());
        return result.Value;
    }

    private static ApplyActionHandler Handler(FakeMailbox mailbox) =>
        new(new Caller(mailbox.Mailbox), mailbox, new MessageLocator());

    private string[] Ids(string folder, IEnumerable<UniqueId> uids, FakeMailbox? mailbox = null) =>
        uids.Select(u => MessageIds.Encode(folder, (mailbox ?? _mailbox)[folder].UidValidity, u.Id)).ToArray();

    private string Id(string folder, UniqueId uid) => MessageIds.Encode(folder, _mailbox[folder].UidValidity, uid.Id);
}

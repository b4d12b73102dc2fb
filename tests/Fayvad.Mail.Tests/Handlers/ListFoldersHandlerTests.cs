using Fayvad.Mail.Contracts;
using Fayvad.Mail.Features.ListFolders;
using Fayvad.Mail.Tests.Fakes;
using MailKit;

namespace Fayvad.Mail.Tests.Handlers;

/// <summary>The folder list the client draws its sidebar from, built by the handler from one LIST on a fake session.</summary>
public sealed class ListFoldersHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Special_folders_come_first_in_a_fixed_order_then_the_users_folders_by_path()
    {
        var mailbox = new FakeMailbox();
        mailbox.Add("zeta");
        mailbox.Add("Junk", FolderAttributes.Junk);
        mailbox.Add("Archive", FolderAttributes.Archive);
        mailbox.Add("Alpha");
        mailbox.Add("Alpha/Beta");
        mailbox.Add("Trash", FolderAttributes.Trash);
        mailbox.Add("Sent Items", FolderAttributes.Sent);
        mailbox.Add("Drafts", FolderAttributes.Drafts);

        var folders = (await Handle(mailbox)).Folders;

        Assert.Equal(["INBOX", "Sent Items", "Drafts", "Trash", "Junk", "Alpha", "Alpha/Beta", "Archive", "zeta"], folders.Select(f => f.Id));
        Assert.Equal(["inbox", "sent", "drafts", "trash", "junk", null, null, "archive", null], folders.Select(f => f.Role));
        Assert.Equal(["inbox", "sent", "drafts", "trash", "spam", "other", "other", "archive", "other"], folders.Select(f => f.Type));
        Assert.Equal("Inbox", folders[0].Name);
        Assert.Equal(("Beta", "Alpha"), (folders[6].Name, folders[6].Parent));
        Assert.All(folders.Where(f => f.Id != "Alpha/Beta"), f => Assert.Null(f.Parent));
        Assert.Equal(["LIST"], mailbox.Commands);
    }

    [Fact]
    public async Task Counts_and_the_sync_state_are_the_folders_own()
    {
        var mailbox = new FakeMailbox();
        var inbox = mailbox["INBOX"];
        var read = inbox.Deliver(3)[0];
        inbox.Unseen.Remove(read.Id);

        var folder = (await Handle(mailbox)).Folders.Single();

        Assert.Equal((3, 2), (folder.TotalCount, folder.UnreadCount));
        Assert.Equal(new SyncState(inbox.UidValidity, inbox.HighestModSeq, 4).Encode(), folder.State);
    }

    [Fact]
    public async Task A_user_without_a_mailbox_gets_403()
    {
        var mailbox = new FakeMailbox();
        var result = await new ListFoldersHandler(new Caller(null), mailbox).Handle(new ListFoldersQuery(), Ct);
        Assert.Equal(Fayvad.Shared.Results.ErrorKind.Forbidden, result.Error!.Kind);
        Assert.Empty(mailbox.Sessions);
    }

    private static async Task<ListFoldersResponse> Handle(FakeMailbox mailbox) =>
        (await new ListFoldersHandler(new Caller(mailbox.Mailbox), mailbox).Handle(new ListFoldersQuery(), Ct)).Value;
}

using Fayvad.Mail.Features.ManageFolders;
using Fayvad.Mail.Tests.Fakes;
using Fayvad.Shared.Results;
using MailKit;

namespace Fayvad.Mail.Tests.Handlers;

/// <summary>Creating, renaming and deleting folders, decided by the handler on a fake session: what is refused, and that nothing is lost.</summary>
public sealed class ManageFoldersHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeMailbox _mailbox = new();
    private readonly ManageFoldersHandler _handler;

    public ManageFoldersHandlerTests()
    {
        _mailbox.Add("Trash", FolderAttributes.Trash);
        _mailbox.Add("Sent", FolderAttributes.Sent);
        _mailbox.Add("Projects");
        _handler = new ManageFoldersHandler(new Caller(_mailbox.Mailbox), _mailbox);
    }

    [Fact]
    public async Task A_folder_is_created_subscribed_at_the_top_or_under_its_parent()
    {
        var top = (await _handler.Handle(new CreateFolderCommand("Clients", null), Ct)).Value;
        var nested = (await _handler.Handle(new CreateFolderCommand("2027", "Projects"), Ct)).Value;

        Assert.Equal(("Clients", "Clients", null), (top.Id, top.Name, top.Parent));
        Assert.Equal(("Projects/2027", "2027", "Projects"), (nested.Id, nested.Name, nested.Parent));
        Assert.True(_mailbox["Projects/2027"].Subscribed);
        Assert.Contains("CREATE Projects/2027", _mailbox.Commands);
    }

    [Fact]
    public async Task Creating_an_existing_folder_is_409_and_under_a_missing_parent_404_and_neither_creates_anything()
    {
        var exists = await _handler.Handle(new CreateFolderCommand("Projects", null), Ct);
        var orphan = await _handler.Handle(new CreateFolderCommand("x", "Nowhere"), Ct);

        Assert.Equal((ErrorKind.Conflict, "Folder 'Projects' already exists."), (exists.Error!.Kind, exists.Error.Message));
        Assert.Equal(ErrorKind.NotFound, orphan.Error!.Kind);
        Assert.DoesNotContain(_mailbox.Commands, c => c.StartsWith("CREATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rename_keeps_the_parent_and_takes_the_subfolders_along()
    {
        _mailbox.Add("Projects/Old");
        _mailbox.Add("Projects/Old/Notes");

        var renamed = (await _handler.Handle(new RenameFolderCommand("Projects/Old", "New"), Ct)).Value;

        Assert.Equal(("Projects/New", "Projects"), (renamed.Id, renamed.Parent));
        Assert.Equal("Projects/New/Notes", _mailbox["Projects/New/Notes"].FullName);
    }

    [Fact]
    public async Task Special_folders_cannot_be_renamed_or_deleted_and_a_rename_onto_an_existing_name_is_409()
    {
        var rename = await _handler.Handle(new RenameFolderCommand("Sent", "Outbox"), Ct);
        var delete = await _handler.Handle(new DeleteFolderCommand("Trash"), Ct);
        var inbox = await _handler.Handle(new DeleteFolderCommand("inbox"), Ct);
        _mailbox.Add("Clients");
        var clash = await _handler.Handle(new RenameFolderCommand("Clients", "Projects"), Ct);

        Assert.Equal("The sent folder cannot be renamed.", rename.Error!.Message);
        Assert.Equal("The trash folder cannot be deleted.", delete.Error!.Message);
        Assert.Equal(ErrorKind.Validation, inbox.Error!.Kind);
        Assert.Equal(ErrorKind.Conflict, clash.Error!.Kind);
        Assert.DoesNotContain(_mailbox.Commands, c => c.StartsWith("RENAME", StringComparison.Ordinal) || c.StartsWith("DELETE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_a_folder_moves_its_messages_to_trash_first()
    {
        _mailbox["Projects"].Deliver(3);

        Assert.True((await _handler.Handle(new DeleteFolderCommand("Projects"), Ct)).Value);

        Assert.Equal(3, _mailbox["Trash"].Uids.Count);
        var order = new[] { "MOVE Projects 1,2,3 -> Trash", "UNSUBSCRIBE Projects", "DELETE Projects" }.Select(c => _mailbox.Commands.IndexOf(c)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public async Task A_folder_with_subfolders_is_not_deleted()
    {
        _mailbox.Add("Projects/Keep");
        _mailbox["Projects"].Deliver(1);

        var result = await _handler.Handle(new DeleteFolderCommand("Projects"), Ct);

        Assert.Equal(ErrorKind.Conflict, result.Error!.Kind);
        Assert.Single(_mailbox["Projects"].Uids);
        Assert.Empty(_mailbox["Trash"].Uids);
    }
}

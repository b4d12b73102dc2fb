using Fayvad.Mail.Features.ListFolders;
using Fayvad.Mail.Imap;

namespace Fayvad.Mail.Tests;

public sealed class FolderNameTests
{
    private static readonly FolderEntry[] Mailbox =
    [
        new("INBOX", "inbox"), new("Sent", "sent"), new("Drafts", "drafts"), new("Trash", "trash"), new("Junk", "junk"),
        new("Projects", null), new("Projects/2025", null),
    ];

    [Theory]
    [InlineData("Spam", "Junk")]
    [InlineData("spam", "Junk")]
    [InlineData("SPAM", "Junk")]
    [InlineData("Junk E-mail", "Junk")]
    [InlineData("junk email", "Junk")]
    [InlineData("Sent Items", "Sent")]
    [InlineData("sent mail", "Sent")]
    [InlineData("Deleted Items", "Trash")]
    [InlineData("bin", "Trash")]
    [InlineData("Draft", "Drafts")]
    [InlineData("inbox", "INBOX")]
    [InlineData("Inbox", "INBOX")]
    [InlineData("Projects/2025", "Projects/2025")]
    public void Common_names_reach_the_folder_with_their_role(string name, string expected) =>
        Assert.Equal(expected, FolderNames.Resolve(name, Mailbox));

    [Fact]
    public void Roles_decide_not_the_servers_names()
    {
        // An Exchange-style mailbox: "Spam" still finds the junk folder, "Trash" the deleted-items one.
        FolderEntry[] exchange = [new("INBOX", "inbox"), new("Junk E-mail", "junk"), new("Deleted Items", "trash"), new("Sent Items", "sent")];
        Assert.Equal("Junk E-mail", FolderNames.Resolve("Spam", exchange));
        Assert.Equal("Deleted Items", FolderNames.Resolve("Trash", exchange));
        Assert.Equal("Sent Items", FolderNames.Resolve("sent", exchange));
        Assert.Null(FolderNames.Resolve("Drafts", exchange));
    }

    [Fact]
    public void A_real_folder_is_never_shadowed_by_an_alias()
    {
        FolderEntry[] withSpam = [.. Mailbox, new("Spam", null)];
        Assert.Equal("Spam", FolderNames.Resolve("Spam", withSpam));
        Assert.Equal("Junk", FolderNames.Resolve("spam", withSpam));
    }

    [Theory]
    [InlineData("projects")] // user folders are paths: exact, as IMAP has them
    [InlineData("Nowhere")]
    [InlineData("Archive")] // an alias with no folder in that role
    public void Names_that_match_nothing_resolve_to_nothing(string name) => Assert.Null(FolderNames.Resolve(name, Mailbox));

    [Fact]
    public void Message_ids_are_looked_up_in_the_named_folder_then_inbox_then_a_fixed_order_with_trash_last()
    {
        FolderEntry[] folders = [.. Mailbox, new("Archive", "archive"), new("alpha", null)];
        Assert.Equal(["INBOX", "Sent", "Drafts", "alpha", "Projects", "Projects/2025", "Archive", "Junk", "Trash"],
            FolderNames.LookupOrder(folders, null));
        Assert.Equal(["Junk", "INBOX", "Sent", "Drafts", "alpha", "Projects", "Projects/2025", "Archive", "Trash"],
            FolderNames.LookupOrder(folders, "Junk"));
    }

    [Theory]
    [InlineData("junk", "spam")]
    [InlineData("inbox", "inbox")]
    [InlineData(null, "other")]
    public void Folder_type_uses_the_names_of_the_clients_later_server(string? role, string type) =>
        Assert.Equal(type, new FolderDto("x", "x", 0, 0, role, null).Type);
}

public sealed class ClientMessageIdTests
{
    [Theory]
    [InlineData("<abc@example.com>", "abc@example.com")]
    [InlineData("abc@example.com", "abc@example.com")]
    [InlineData(" <CAKx+Ab_cD=eF$gH%iJ@mail.gmail.com> ", "CAKx+Ab_cD=eF$gH%iJ@mail.gmail.com")]
    [InlineData("<a/b@example.com>", "a/b@example.com")]
    public void Rfc_message_ids_are_recognised_with_or_without_brackets(string id, string bare)
    {
        Assert.True(MessageIds.TryParseRfc(id, out var parsed));
        Assert.Equal(bare, parsed);
        Assert.True(MessageIds.IsMessageId(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage-id")]
    [InlineData("<no-at-sign>")]
    [InlineData("<a b@example.com>")]
    [InlineData("<<a@b>>")]
    [InlineData("42")]
    public void Other_strings_are_not_message_ids(string id) => Assert.False(MessageIds.IsMessageId(id));

    [Fact]
    public void An_api_id_is_never_taken_for_an_rfc_id() =>
        Assert.False(MessageIds.TryParseRfc(MessageIds.Encode("INBOX", 1, 2), out _));

    [Theory]
    [InlineData("abc@example.com", "<abc@example.com>")]
    [InlineData("a/b@example.com", "API")] // a '/' would break the client's URL path
    [InlineData(null, "API")]
    [InlineData("", "API")]
    [InlineData("no-at-sign", "API")] // could not be looked up again
    public void The_clients_message_id_is_the_rfc_id_when_usable_else_the_api_id(string? rfc, string expected) =>
        Assert.Equal(expected, MessageIds.ForClient(rfc, "API"));

    [Theory]
    [InlineData("<a%2Fb@example.com>", "<a/b@example.com>")]
    [InlineData("<a%2fb@example.com>", "<a/b@example.com>")]
    [InlineData("bTE6MTox", "bTE6MTox")]
    public void A_slash_left_escaped_by_the_router_is_decoded(string routeValue, string id) =>
        Assert.Equal(id, MessageIds.FromPath(routeValue));
}

public sealed class FolderNameLengthTests
{
    [Theory]
    [InlineData("Projects", 8)]
    [InlineData("a&b", 4)]
    [InlineData("\u00fc", 5)]
    [InlineData("Fr\u00fcchte", 11)]
    [InlineData("\u00fc\u00fc\u00fc", 10)]
    public void Names_are_measured_as_the_server_stores_them(string name, int expected) =>
        Assert.Equal(expected, Fayvad.Mail.Features.ManageFolders.FolderNameRules.EncodedLength(name));
}

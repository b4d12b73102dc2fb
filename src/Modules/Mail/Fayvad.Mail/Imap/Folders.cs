using MailKit;

namespace Fayvad.Mail.Imap;

/// <summary>Folder lookups inside the caller's mailbox, with the special-use roles of RFC 6154.</summary>
internal static class Folders
{
    public const string Inbox = "INBOX";

    public static readonly (string Role, FolderAttributes Attribute, SpecialFolder Special)[] SpecialRoles =
    [
        ("sent", FolderAttributes.Sent, SpecialFolder.Sent),
        ("drafts", FolderAttributes.Drafts, SpecialFolder.Drafts),
        ("trash", FolderAttributes.Trash, SpecialFolder.Trash),
        ("junk", FolderAttributes.Junk, SpecialFolder.Junk),
        ("archive", FolderAttributes.Archive, SpecialFolder.Archive),
    ];

    public static string? RoleOf(IMailFolder folder)
    {
        if (folder.FullName.Equals(Inbox, StringComparison.OrdinalIgnoreCase))
        {
            return "inbox";
        }

        foreach (var (role, attribute, _) in SpecialRoles)
        {
            if (folder.Attributes.HasFlag(attribute))
            {
                return role;
            }
        }

        return null;
    }

    /// <summary>Display order: Inbox, Sent, Drafts, Trash, Junk, then the user's folders by path.</summary>
    public static int RoleOrder(string? role) => role switch
    {
        "inbox" => 0,
        "sent" => 1,
        "drafts" => 2,
        "trash" => 3,
        "junk" => 4,
        _ => 5,
    };

    public static string DisplayName(IMailFolder folder) =>
        folder.FullName.Equals(Inbox, StringComparison.OrdinalIgnoreCase) ? "Inbox" : folder.Name;

    public static FolderEntry Entry(IMailFolder folder) => new(folder.FullName, RoleOf(folder));
}

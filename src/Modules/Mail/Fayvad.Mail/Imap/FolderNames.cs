namespace Fayvad.Mail.Imap;

/// <summary>A folder as the naming rule sees it: its IMAP path and its special-use role (RFC 6154), if any.</summary>
internal readonly record struct FolderEntry(string Path, string? Role);

/// <summary>
/// Folder names as people say them (docs/adr/0009). A name is the folder's exact path; failing that, a common name of
/// a special folder ("Spam", "Sent Items", "Deleted Items", any case) stands for the folder with that special-use role,
/// whatever the server calls it. This is the only table of such names: every endpoint resolves through it.
/// </summary>
internal static class FolderNames
{
    public const string Inbox = "inbox";
    public const string Sent = "sent";
    public const string Drafts = "drafts";
    public const string Trash = "trash";
    public const string Junk = "junk";
    public const string Archive = "archive";

    private static readonly Dictionary<string, string> RoleByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["INBOX"] = Inbox,
        ["Sent"] = Sent, ["Sent Items"] = Sent, ["Sent Mail"] = Sent, ["Sent Messages"] = Sent,
        ["Drafts"] = Drafts, ["Draft"] = Drafts,
        ["Trash"] = Trash, ["Deleted"] = Trash, ["Deleted Items"] = Trash, ["Deleted Messages"] = Trash, ["Bin"] = Trash,
        ["Junk"] = Junk, ["Spam"] = Junk, ["Junk E-mail"] = Junk, ["Junk Email"] = Junk, ["Junk Mail"] = Junk, ["Bulk Mail"] = Junk,
        ["Archive"] = Archive, ["Archives"] = Archive,
    };

    /// <summary>The role a common folder name stands for, or null for any other name.</summary>
    public static string? RoleOfName(string name) => RoleByName.GetValueOrDefault(name.Trim());

    /// <summary>
    /// The path the name means in a mailbox with these folders, or null: INBOX in any case; else a folder with exactly
    /// that path (so a real folder is never shadowed by an alias); else the folder holding the role the name stands for.
    /// </summary>
    public static string? Resolve(string name, IEnumerable<FolderEntry> folders)
    {
        if (name.Equals(Folders.Inbox, StringComparison.OrdinalIgnoreCase))
        {
            return Folders.Inbox;
        }

        var list = folders as IReadOnlyCollection<FolderEntry> ?? folders.ToList();
        if (list.Any(f => f.Path == name))
        {
            return name;
        }

        return RoleOfName(name) is { } role
            ? list.Where(f => f.Role == role).OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => (string?)f.Path).FirstOrDefault()
            : null;
    }

    /// <summary>
    /// Where a message is looked for by its RFC Message-ID: the folder the request names first, then INBOX, Sent, Drafts,
    /// the user's own folders (by path), Archive, Junk, and Trash last, so a copy in Trash never wins over a live one.
    /// </summary>
    public static IReadOnlyList<string> LookupOrder(IEnumerable<FolderEntry> folders, string? first)
    {
        var order = new List<string>();
        if (first is not null)
        {
            order.Add(first);
        }

        foreach (var folder in folders.OrderBy(f => LookupRank(f.Role)).ThenBy(f => f.Path, StringComparer.OrdinalIgnoreCase))
        {
            if (!order.Contains(folder.Path, StringComparer.Ordinal))
            {
                order.Add(folder.Path);
            }
        }

        return order;
    }

    private static int LookupRank(string? role) => role switch
    {
        Inbox => 0,
        Sent => 1,
        Drafts => 2,
        null => 3,
        Archive => 4,
        Junk => 5,
        Trash => 6,
        _ => 3,
    };
}

using MailKit;
using MailKit.Net.Imap;

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

    /// <summary>
    /// The folder a request names, by the one naming rule (<see cref="FolderNames.Resolve"/>): INBOX, an exact path, or a
    /// common name of a special folder ("Spam", "Sent Items"...) found by its special-use role. Null when none matches.
    /// An exact path costs one LIST of that name; only a name that is not a path lists the folders with their roles.
    /// </summary>
    public static async Task<IMailFolder?> FindAsync(ImapClient client, string name, CancellationToken cancellationToken)
    {
        if (await FindExactAsync(client, name, cancellationToken) is { } exact)
        {
            return exact;
        }

        if (FolderNames.RoleOfName(name) is null)
        {
            return null;
        }

        var folders = await ListAsync(client, cancellationToken);
        var path = FolderNames.Resolve(name, folders.Select(Entry));
        return path is null ? null : folders.First(f => f.FullName == path);
    }

    /// <summary>The folder with exactly this path (INBOX in any case), or null: for ids, which carry a real path.</summary>
    public static async Task<IMailFolder?> FindExactAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        if (path.Equals(Inbox, StringComparison.OrdinalIgnoreCase))
        {
            return client.Inbox;
        }

        // The folder this connection keeps selected exists (a deleted one would have ended the session): no LIST.
        if (KeptFolder.Of(client) is { } kept && kept.FullName == path)
        {
            return kept;
        }

        try
        {
            var folder = await client.GetFolderAsync(path, cancellationToken);
            return folder.Exists && !folder.Attributes.HasFlag(FolderAttributes.NonExistent) ? folder : null;
        }
        catch (FolderNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Every selectable folder of the mailbox, with its special-use attributes (one LIST ... RETURN (SPECIAL-USE)).</summary>
    public static async Task<List<IMailFolder>> ListAsync(ImapClient client, CancellationToken cancellationToken) =>
        (await client.GetFoldersAsync(client.PersonalNamespaces[0], false, cancellationToken))
            .Where(f => f.Exists && !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent))
            .ToList();

    public static FolderEntry Entry(IMailFolder folder) => new(folder.FullName, RoleOf(folder));

    public static IMailFolder? Special(ImapClient client, SpecialFolder special) =>
        client.Capabilities.HasFlag(ImapCapabilities.SpecialUse) ? client.GetFolder(special) : null;

    /// <summary>
    /// Opens the folder for this request. A pooled connection keeps the folder it last selected; when the request is in
    /// that folder and IMAP reported no change to it, one NOOP replaces the EXAMINE (<see cref="KeptFolder"/>,
    /// docs/adr/0020). Anything reported since (another client's append, expunge or flag change, a new UIDVALIDITY)
    /// selects it again, so counts and sync state are those of a fresh SELECT.
    /// </summary>
    public static Task EnsureOpenAsync(ImapClient client, IMailFolder folder, FolderAccess access, CancellationToken cancellationToken) =>
        KeptFolder.OpenAsync(client, folder, access, cancellationToken);
}

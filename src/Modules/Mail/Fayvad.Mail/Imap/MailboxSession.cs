using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;

namespace Fayvad.Mail.Imap;

/// <summary>
/// One user's mailbox for the length of one request, on a pooled connection: what slices may do with IMAP beyond the
/// folder itself. A slice never sees the connection, so a fake of this makes its handler testable without a server.
/// </summary>
internal interface IMailboxSession
{
    /// <summary>The mailbox address this session is logged in as.</summary>
    string Mailbox { get; }

    IMailFolder Inbox { get; }

    /// <summary>The personal namespace's root: the parent of top-level folders.</summary>
    IMailFolder Root { get; }

    /// <summary>The folder with this special-use role (RFC 6154), or null when the server names none.</summary>
    IMailFolder? Special(SpecialFolder special);

    /// <summary>Every selectable folder, with its special-use attributes and the given STATUS items, in one LIST.</summary>
    Task<IReadOnlyList<IMailFolder>> ListFoldersAsync(StatusItems status, CancellationToken cancellationToken);

    /// <summary>The folder with exactly this path (INBOX in any case), or null: for ids, which carry a real path.</summary>
    Task<IMailFolder?> FindExactFolderAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the folder for this request: one NOOP when the connection keeps it selected and nothing changed in it,
    /// else SELECT/EXAMINE (docs/adr/0020), so counts and sync state are always those of a fresh SELECT.
    /// </summary>
    Task OpenAsync(IMailFolder folder, FolderAccess access, CancellationToken cancellationToken);

    /// <summary>Matching UIDs of an open folder by the Date header, newest first: SORT (RFC 5256) where the server has it.</summary>
    Task<IList<UniqueId>> NewestSentFirstAsync(IMailFolder folder, SearchQuery query, CancellationToken cancellationToken);

    /// <summary>Moves messages of the open folder: MOVE (RFC 6851) where the server has it, else COPY, flag and expunge.</summary>
    Task MoveAsync(IMailFolder folder, IList<UniqueId> uids, IMailFolder target, CancellationToken cancellationToken);

    /// <summary>A NOOP: the server reports what other sessions changed in the selected folder.</summary>
    Task RefreshAsync(CancellationToken cancellationToken);
}

/// <summary>What every session does the same way, on top of its primitives (and so in a fake, too).</summary>
internal static class MailboxSessionLookups
{
    /// <summary>
    /// The folder a request names, by the one naming rule (<see cref="FolderNames.Resolve"/>): INBOX, an exact path, or a
    /// common name of a special folder ("Spam", "Sent Items"...). Null when none matches. An exact path costs one LIST
    /// of that name; only a name that is not a path lists the folders with their roles.
    /// </summary>
    public static async Task<IMailFolder?> FindFolderAsync(this IMailboxSession session, string name, CancellationToken cancellationToken)
    {
        if (await session.FindExactFolderAsync(name, cancellationToken) is { } exact)
        {
            return exact;
        }

        if (FolderNames.RoleOfName(name) is null)
        {
            return null;
        }

        var folders = await session.ListFoldersAsync(StatusItems.None, cancellationToken);
        var path = FolderNames.Resolve(name, folders.Select(Folders.Entry));
        return path is null ? null : folders.First(f => f.FullName == path);
    }

    /// <summary>The folder of a located message, opened; null when it is gone or was recreated (a new UIDVALIDITY).</summary>
    public static async Task<IMailFolder?> OpenMessageFolderAsync(
        this IMailboxSession session, MessageLocation location, FolderAccess access, CancellationToken cancellationToken)
    {
        if (await session.FindExactFolderAsync(location.Folder, cancellationToken) is not { } folder)
        {
            return null;
        }

        await session.OpenAsync(folder, access, cancellationToken);
        // The old id must not reach whatever now has that UID in a recreated folder.
        return folder.UidValidity == location.UidValidity ? folder : null;
    }
}

/// <summary>
/// The session over one pooled connection. It owns the connection, the folder the connection keeps selected between
/// requests (<see cref="KeptFolder"/>) and the ear on its protocol log; the pool lends it whole, one request at a time.
/// </summary>
internal sealed class MailboxSession(string mailbox, ImapClient client, ServerLines? lines = null, Action<bool>? opened = null) : IMailboxSession
{
    private readonly KeptFolder _kept = new(lines, opened);

    public string Mailbox => mailbox;

    /// <summary>For the pool only: health checks and closing.</summary>
    public ImapClient Client => client;

    public IMailFolder Inbox => client.Inbox;

    public IMailFolder Root => client.GetFolder(client.PersonalNamespaces[0]);

    public IMailFolder? Special(SpecialFolder special) =>
        client.Capabilities.HasFlag(ImapCapabilities.SpecialUse) ? client.GetFolder(special) : null;

    public async Task<IReadOnlyList<IMailFolder>> ListFoldersAsync(StatusItems status, CancellationToken cancellationToken) =>
        (await client.GetFoldersAsync(client.PersonalNamespaces[0], status, false, cancellationToken))
            .Where(f => f.Exists && !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent))
            .ToList();

    public async Task<IMailFolder?> FindExactFolderAsync(string path, CancellationToken cancellationToken)
    {
        if (path.Equals(Folders.Inbox, StringComparison.OrdinalIgnoreCase))
        {
            return client.Inbox;
        }

        // The folder this connection keeps selected exists (a deleted one would have ended the session): no LIST.
        if (_kept.Current is { } kept && kept.FullName == path)
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

    public Task OpenAsync(IMailFolder folder, FolderAccess access, CancellationToken cancellationToken) =>
        _kept.OpenAsync(client, folder, access, cancellationToken);

    public async Task<IList<UniqueId>> NewestSentFirstAsync(IMailFolder folder, SearchQuery query, CancellationToken cancellationToken) =>
        client.Capabilities.HasFlag(ImapCapabilities.Sort)
            ? await folder.SortAsync(query, [OrderBy.ReverseDate], cancellationToken)
            : await MessageLists.NewestFirstAsync(folder, query, cancellationToken);

    public async Task MoveAsync(IMailFolder folder, IList<UniqueId> uids, IMailFolder target, CancellationToken cancellationToken)
    {
        if (client.Capabilities.HasFlag(ImapCapabilities.Move))
        {
            await folder.MoveToAsync(uids, target, cancellationToken);
            return;
        }

        await folder.CopyToAsync(uids, target, cancellationToken);
        await folder.AddFlagsAsync(uids, MessageFlags.Deleted, true, cancellationToken);
        await folder.ExpungeAsync(uids, cancellationToken);
    }

    public Task RefreshAsync(CancellationToken cancellationToken) => client.NoOpAsync(cancellationToken);
}

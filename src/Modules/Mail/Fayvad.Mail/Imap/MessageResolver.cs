using MailKit;
using MailKit.Net.Imap;

namespace Fayvad.Mail.Imap;

/// <summary>Resolves an API message id inside the caller's own mailbox; a stale or foreign id resolves to nothing.</summary>
internal static class MessageResolver
{
    public static async Task<IMailFolder?> OpenFolderAsync(
        ImapClient client, MessageLocation location, FolderAccess access, CancellationToken cancellationToken)
    {
        var folder = await Folders.FindExactAsync(client, location.Folder, cancellationToken);
        if (folder is null)
        {
            return null;
        }

        await Folders.EnsureOpenAsync(client, folder, access, cancellationToken);
        // A recreated folder has a new UIDVALIDITY: the old id must not reach whatever now has that UID.
        return folder.UidValidity == location.UidValidity ? folder : null;
    }
}

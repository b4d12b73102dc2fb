using Fayvad.Mail.Contracts;
using MailKit;

namespace Fayvad.Mail.Imap;

internal static class FolderSyncState
{
    /// <summary>Where an opened folder stands now, as MailKit last heard it.</summary>
    public static SyncState SyncState(this IMailFolder folder) => new(folder.UidValidity, folder.HighestModSeq, folder.UidNext?.Id ?? 0);
}

namespace Fayvad.Mail.Imap;

/// <summary>
/// A folder: <paramref name="Id"/> is its IMAP path (what <c>folder=</c> takes), <paramref name="Role"/> its special-use
/// role or null, <paramref name="State"/> its sync state, to follow it with /email/changes/.
/// </summary>
internal sealed record FolderDto(string Id, string Name, int UnreadCount, int TotalCount, string? Role, string? Parent, string? State = null)
{
    // The same facts under the names of the client's later server (HEAD): its types were inbox, sent, drafts, trash, spam, other.
    public string Type => Role switch
    {
        null => "other",
        FolderNames.Junk => "spam",
        _ => Role,
    };

    public int Total => TotalCount;

    public int Unseen => UnreadCount;
}

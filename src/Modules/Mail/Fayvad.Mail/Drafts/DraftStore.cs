using System.Globalization;
using Fayvad.Mail.Imap;
using Fayvad.Mail.Data;
using MailKit;
using MimeKit;
using Npgsql;

namespace Fayvad.Mail.Drafts;

/// <summary>A draft version read from the Drafts folder into a temp file; its parts stream from that file until disposed.</summary>
internal sealed class LoadedDraft(MimeMessage message, Stream file) : IDisposable
{
    public MimeMessage Message { get; } = message;

    /// <summary>The version's size as stored, i.e. already encoded.</summary>
    public long SizeBytes => file.Length;

    public DateTimeOffset CreatedAt =>
        Message.Headers[DraftStore.CreatedHeader] is { } created
            && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : Message.Date;

    public void Dispose()
    {
        Message.Dispose();
        file.Dispose();
    }
}

/// <summary>
/// Drafts live in the user's IMAP Drafts folder (special-use \Drafts), flagged \Draft, where every mail client sees
/// them. A draft's id is a number from the <c>mail.draft_ids</c> sequence carried in the message's own
/// <c>X-Fayvad-Draft-Id</c> header: it survives each save (a new version is APPENDed, then the older ones are
/// expunged, so a crash in between leaves two versions, never none), a new UIDVALIDITY, and any API node.
/// Dovecot's full-text index does not cover that header (SEARCH HEADER finds nothing), so the folder's headers are
/// FETCHed instead; a Drafts folder is small.
/// </summary>
internal static class DraftStore
{
    public const string IdHeader = "X-Fayvad-Draft-Id";
    public const string CreatedHeader = "X-Fayvad-Draft-Created";

    public static async Task<long> NextIdAsync(MailDataSource data, CancellationToken cancellationToken)
    {
        await using var command = data.Source.CreateCommand("SELECT nextval('mail.draft_ids')");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The Drafts folder, opened; null when the mailbox has none.</summary>
    public static async Task<IMailFolder?> OpenAsync(IMailboxSession session, FolderAccess access, CancellationToken cancellationToken)
    {
        var folder = session.Special(SpecialFolder.Drafts) ?? await session.FindFolderAsync("Drafts", cancellationToken);
        if (folder is not null)
        {
            await session.OpenAsync(folder, access, cancellationToken);
        }

        return folder;
    }

    /// <summary>Every draft id in the open folder with the UIDs carrying it, oldest first (normally one).</summary>
    public static async Task<IReadOnlyDictionary<long, List<UniqueId>>> IndexAsync(IMailFolder folder, CancellationToken cancellationToken)
    {
        var index = new Dictionary<long, List<UniqueId>>();
        if (folder.Count == 0)
        {
            return index;
        }

        var request = new FetchRequest(MessageSummaryItems.UniqueId) { Headers = new HeaderSet([IdHeader]) };
        foreach (var summary in await folder.FetchAsync(0, -1, request, cancellationToken))
        {
            if (ParseId(summary.Headers?[IdHeader]) is { } id)
            {
                (index.TryGetValue(id, out var uids) ? uids : index[id] = []).Add(summary.UniqueId);
            }
        }

        foreach (var uids in index.Values)
        {
            uids.Sort();
        }

        return index;
    }

    public static long? ParseId(string? value) =>
        long.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    /// <summary>Reads one version into a temp file and parses it there, so its attachments stay on disk, not in memory.</summary>
    public static async Task<LoadedDraft> LoadAsync(IMailFolder folder, UniqueId uid, CancellationToken cancellationToken)
    {
        Stream file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await using (var source = await folder.GetStreamAsync(uid, cancellationToken))
            {
                await source.CopyToAsync(file, cancellationToken);
            }

            file.Position = 0;
            var message = await MimeMessage.LoadAsync(file, persistent: true, cancellationToken);
            return new LoadedDraft(message, file);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Marks a message as draft <paramref name="id"/> of the caller's Drafts folder.</summary>
    public static void Stamp(MimeMessage message, long id, DateTimeOffset createdAt)
    {
        message.Headers[IdHeader] = id.ToString(CultureInfo.InvariantCulture);
        message.Headers[CreatedHeader] = createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    public static void Unstamp(MimeMessage message)
    {
        message.Headers.RemoveAll(IdHeader);
        message.Headers.RemoveAll(CreatedHeader);
    }

    /// <summary>APPENDs a version (\Draft \Seen, as mail clients file drafts); its UID when the server says (UIDPLUS).</summary>
    public static async Task<UniqueId?> AppendAsync(IMailFolder folder, MimeMessage message, CancellationToken cancellationToken) =>
        await folder.AppendAsync(new AppendRequest(message, MessageFlags.Draft | MessageFlags.Seen), cancellationToken);

    /// <summary>Expunges exactly these UIDs (UID EXPUNGE), never other messages someone else flagged \Deleted.</summary>
    public static async Task RemoveAsync(IMailFolder folder, IList<UniqueId> uids, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
        {
            return;
        }

        if (!folder.IsOpen || folder.Access != FolderAccess.ReadWrite)
        {
            await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        }

        await folder.AddFlagsAsync(uids, MessageFlags.Deleted, true, cancellationToken);
        await folder.ExpungeAsync(uids, cancellationToken);
    }

    /// <summary>Removes every version of draft <paramref name="id"/>; false when there was none.</summary>
    public static async Task<bool> RemoveAllAsync(IMailboxSession session, long id, CancellationToken cancellationToken)
    {
        if (await OpenAsync(session, FolderAccess.ReadWrite, cancellationToken) is not { } folder)
        {
            return false;
        }

        var uids = (await IndexAsync(folder, cancellationToken)).GetValueOrDefault(id);
        if (uids is null)
        {
            return false;
        }

        await RemoveAsync(folder, uids, cancellationToken);
        return true;
    }
}

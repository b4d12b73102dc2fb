using Fayvad.Mail.Contracts;
using Fayvad.Mail.Data;
using Fayvad.Shared.Results;
using Microsoft.Extensions.Logging;

namespace Fayvad.Mail.Store;

/// <summary>Ends sessions of, and empties, mailboxes the Directory deleted; all through Dovecot's doveadm API.</summary>
internal sealed partial class MailboxStore(
    DoveadmClient doveadm, MailDataSource data, IEnumerable<IMailboxRemovedHandler> others, ILogger<MailboxStore> logger) : IMailboxStore
{
    private const char Separator = '/';

    /// <summary>doveadm's search query for every message of every folder.</summary>
    private static readonly string[] EveryMessage = ["mailbox", "*", "all"];

    private static readonly string[] Inbox = ["INBOX"];

    public async Task<bool> EndSessionsAsync(IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        if (addresses.Count == 0)
        {
            return true;
        }

        try
        {
            var reply = await doveadm.RunAsync(new DoveadmCommand("kick", new Dictionary<string, object> { ["mask"] = addresses.ToArray() }), cancellationToken);
            // 68: nobody of them was connected.
            return reply.Succeeded || reply.ExitCode == DoveadmReply.NotFound;
        }
        catch (DependencyUnavailableException ex)
        {
            LogKickFailed(logger, addresses.Count, ex.Message);
            return false;
        }
    }

    public async Task RemoveMailboxAsync(string address, CancellationToken cancellationToken)
    {
        // 1. Every message of every folder, 2. every folder but INBOX, deepest first, 3. INBOX's header cache (it keeps
        // subjects and addresses of expunged mail until compressed), 4. the full-text index (fts-xapian only marks
        // expunged mail; a rescan drops the index, rebuilt from what is left: nothing), 5. check that nothing is left.
        // Running it again finds nothing to do.
        var user = new Dictionary<string, object> { ["user"] = address };
        var expunged = await doveadm.RunAsync(new DoveadmCommand("expunge", With(user, "query", EveryMessage)), cancellationToken);
        Require(expunged, "expunge", address, allowNotFound: true);

        var folders = await ListFoldersAsync(user, address, cancellationToken);
        var doomed = folders.Where(f => !f.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(f => f.Count(c => c == Separator)).ThenBy(f => f, StringComparer.Ordinal).ToList();
        if (doomed.Count > 0)
        {
            var deletes = doomed.Select(f => new DoveadmCommand("mailboxDelete", With(With(user, "mailbox", new[] { f }), "subscriptions", true))).ToList();
            var replies = await doveadm.RunAsync(deletes, cancellationToken);
            for (var i = 0; i < replies.Count; i++)
            {
                Require(replies[i], "mailbox delete " + doomed[i], address, allowNotFound: true);
            }
        }

        var cache = await doveadm.RunAsync(new DoveadmCommand("mailboxCachePurge", With(user, "mailbox", Inbox)), cancellationToken);
        Require(cache, "purge the header cache", address, allowNotFound: true);
        var index = await doveadm.RunAsync(new DoveadmCommand("ftsRescan", user), cancellationToken);
        Require(index, "drop the full-text index", address, allowNotFound: true);

        var left = await doveadm.RunAsync(new DoveadmCommand("search", With(user, "query", EveryMessage)), cancellationToken);
        Require(left, "search", address, allowNotFound: true);
        if (left.Succeeded && left.Output.ValueKind == System.Text.Json.JsonValueKind.Array && left.Output.GetArrayLength() > 0)
        {
            throw new DependencyUnavailableException($"The mail server still holds {left.Output.GetArrayLength()} messages of {address} after the purge.");
        }

        // The Mail module's own record of a mailbox is its send idempotency; other modules drop theirs when told.
        await using (var sent = data.Source.CreateCommand("DELETE FROM mail.sent_records WHERE mailbox = $1"))
        {
            sent.Parameters.AddWithValue(address);
            await sent.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var other in others)
        {
            await other.MailboxRemovedAsync(address, cancellationToken);
        }

        LogRemoved(logger, address, doomed.Count);
    }

    private async Task<List<string>> ListFoldersAsync(Dictionary<string, object> user, string address, CancellationToken cancellationToken)
    {
        var listed = await doveadm.RunAsync(new DoveadmCommand("mailboxList", user), cancellationToken);
        Require(listed, "mailbox list", address, allowNotFound: false);
        return listed.Output.EnumerateArray().Select(f => f.GetProperty("mailbox").GetString()!).ToList();
    }

    private static Dictionary<string, object> With(Dictionary<string, object> parameters, string name, object value) =>
        new(parameters) { [name] = value };

    private static void Require(DoveadmReply reply, string what, string address, bool allowNotFound)
    {
        if (reply.Succeeded || (allowNotFound && reply.ExitCode == DoveadmReply.NotFound))
        {
            return;
        }

        throw new DependencyUnavailableException(reply.ExitCode == DoveadmReply.NoSuchUser
            ? $"The mail server does not know the mailbox {address} (its userdb must answer doveadm for deleted mailboxes)."
            : $"The mail server could not {what} for {address} (doveadm exit code {reply.ExitCode}).");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not end the IMAP sessions of {Count} deleted mailboxes: {Reason}")]
    private static partial void LogKickFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the mail of {Address} ({Folders} folders deleted)")]
    private static partial void LogRemoved(ILogger logger, string address, int folders);
}

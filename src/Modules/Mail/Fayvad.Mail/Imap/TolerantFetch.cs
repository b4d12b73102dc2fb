using MailKit;
using MailKit.Net.Imap;

namespace Fayvad.Mail.Imap;

/// <summary>What a page FETCH gave: a summary per message asked for, and the UIDs of those the server could not give whole.</summary>
internal sealed record FetchedSummaries(IList<IMessageSummary> Summaries, IReadOnlySet<uint> Degraded)
{
    public static readonly IReadOnlySet<uint> None = new HashSet<uint>();
}

/// <summary>
/// A FETCH of many messages that one message cannot spoil. When the server answers NO or BAD for the whole command
/// because of one message (Dovecot with <c>imap_fetch_failure = no-after</c> still sends every other message first),
/// every message it did send whole is kept, and the rest are listed with what the server gave for them plus their UID
/// and flags (from the index, which never needs the message file), marked degraded (docs/adr/0027).
/// </summary>
/// <remarks>
/// No second rich FETCH of a failed message: Dovecot disconnects a client that FETCHes a failed message again and fails
/// again, which would cost the whole request.
/// </remarks>
internal static class TolerantFetch
{
    private static readonly FetchRequest UidAndFlags = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    public static Task<FetchedSummaries> FetchAsync(IMailFolder folder, int min, int max, IFetchRequest request, CancellationToken cancellationToken) =>
        RunAsync(folder, request,
            ct => folder.FetchAsync(min, max, request, ct),
            ct => folder.FetchAsync(min, max, UidAndFlags, ct),
            cancellationToken);

    public static Task<FetchedSummaries> FetchAsync(IMailFolder folder, IList<UniqueId> uids, IFetchRequest request, CancellationToken cancellationToken) =>
        RunAsync(folder, request,
            ct => folder.FetchAsync(uids, request, ct),
            ct => folder.FetchAsync(uids, UidAndFlags, ct),
            cancellationToken);

    private static async Task<FetchedSummaries> RunAsync(
        IMailFolder folder, IFetchRequest request,
        Func<CancellationToken, Task<IList<IMessageSummary>>> fetch,
        Func<CancellationToken, Task<IList<IMessageSummary>>> fetchUidsAndFlags,
        CancellationToken cancellationToken)
    {
        // MailKit reports every untagged FETCH as it is read, also those of a command that then fails.
        var received = new Dictionary<int, IMessageSummary>();
        void OnFetched(object? sender, MessageSummaryFetchedEventArgs e) => received[e.Message.Index] = e.Message;
        folder.MessageSummaryFetched += OnFetched;
        try
        {
            return new FetchedSummaries(await fetch(cancellationToken), FetchedSummaries.None);
        }
        catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
        {
            // Fall through: the connection is fine, only some message's data was refused.
        }
        finally
        {
            folder.MessageSummaryFetched -= OnFetched;
        }

        var listed = await fetchUidsAndFlags(cancellationToken);
        var summaries = new List<IMessageSummary>(listed.Count);
        var degraded = new HashSet<uint>();
        foreach (var basic in listed)
        {
            received.TryGetValue(basic.Index, out var got);
            // Whole only with every item asked for: Dovecot sends what it could of a failed message before its NO, and
            // any later FETCH of that message that fails again would end the connection.
            if (got is not null && got.UniqueId.IsValid && (got.Fields & request.Items) == request.Items
                && (request.Headers is null || got.Headers is not null))
            {
                summaries.Add(got);
                continue;
            }

            degraded.Add(basic.UniqueId.Id);
            summaries.Add(new MessageSummary(folder, basic.Index)
            {
                UniqueId = basic.UniqueId,
                Flags = basic.Flags,
                Envelope = got?.Envelope,
                Body = got?.Body,
                InternalDate = got?.InternalDate,
                Size = got?.Size,
                Headers = got?.Headers,
                PreviewText = got?.PreviewText,
            });
        }

        return new FetchedSummaries(summaries, degraded);
    }
}

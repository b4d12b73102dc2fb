using Fayvad.Mail.Mime;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using MimeKit.Utils;
using System.Runtime.ExceptionServices;

namespace Fayvad.Mail.Imap;

/// <summary>
/// What a page FETCH gave: a summary per message asked for; the UIDs of those the server refused (<see cref="Degraded"/>:
/// listed from its index, never asked for again in this request); and those read with less than was asked because the
/// full plan broke on them (<see cref="Partial"/>: complete enough to show and to load bodies from, marked parse_error).
/// </summary>
internal sealed record FetchedSummaries(IList<IMessageSummary> Summaries, IReadOnlySet<uint> Degraded, IReadOnlySet<uint> Partial)
{
    public static readonly IReadOnlySet<uint> None = new HashSet<uint>();

    public FetchedSummaries(IList<IMessageSummary> summaries) : this(summaries, None, None)
    {
    }

    /// <summary>Shown as parse_error: the server refused it, or it was read with a lesser plan.</summary>
    public bool Flawed(uint uid) => Degraded.Contains(uid) || Partial.Contains(uid);
}

/// <summary>
/// A FETCH of many messages that one message cannot spoil (docs/adr/0027, 0033).
/// <list type="bullet">
/// <item>The server answers NO or BAD for the whole command because of one message (Dovecot with
/// <c>imap_fetch_failure = no-after</c> still sends every other message first): every message it sent whole is kept, the
/// rest are listed with what the server gave plus their UID and flags, marked degraded.</item>
/// <item>One message's data breaks the parser or the server drops the connection on it (an ENVELOPE literal over
/// MailKit's 4 KB limit, a BODYSTRUCTURE MailKit cannot read): the culprit is the first message of the command the
/// server had not answered yet (it answers in sequence order). It is demoted in <see cref="FetchFaults"/> and the pool
/// runs the work again on a new connection, where the culprit is asked for with a plan that cannot fail the same way.
/// One retry per culprit; later requests ask for it with that plan straight away.</item>
/// </list>
/// </summary>
/// <remarks>
/// No second rich FETCH of a message the server refused: Dovecot disconnects a client that FETCHes a failed message again
/// and fails again, which would cost the whole request.
/// </remarks>
internal static class TolerantFetch
{
    private static readonly FetchRequest UidAndFlags = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    /// <summary>The header fields an ENVELOPE holds: a lesser plan reads them as one stream and builds the envelope here.</summary>
    private static readonly HeaderId[] EnvelopeFields =
    [
        HeaderId.Date, HeaderId.Subject, HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc,
        HeaderId.Bcc, HeaderId.InReplyTo, HeaderId.MessageId,
    ];

    public static async Task<FetchedSummaries> FetchAsync(IMailFolder folder, int min, int max, IFetchRequest request, CancellationToken cancellationToken)
    {
        var scope = FetchFaults.Current;
        if (scope is not null && scope.AnyIn(folder.FullName, folder.UidValidity))
        {
            // This folder holds a message a full FETCH broke on: name the page's messages by UID to ask for each by its tier.
            var listed = await folder.FetchAsync(min, max, UidAndFlags, cancellationToken);
            if (scope.TakeSuspectIndex(folder.FullName, folder.UidValidity) is { } index
                && listed.FirstOrDefault(s => s.Index == index) is { } suspect)
            {
                scope.Demote(folder.FullName, folder.UidValidity, suspect.UniqueId.Id, FetchTier.Full);
            }

            return await FetchAsync(folder, listed.Select(s => s.UniqueId).ToList(), request, cancellationToken);
        }

        try
        {
            return await RunAsync(folder, request,
                ct => folder.FetchAsync(min, max, request, ct),
                ct => folder.FetchAsync(min, max, UidAndFlags, ct),
                cancellationToken);
        }
        catch (BrokenFetchException broken)
        {
            // The UIDs of what the server had not answered yet died with the connection: the next try learns it by number.
            var culprit = Enumerable.Range(min, max - min + 1).Cast<int?>().FirstOrDefault(i => !broken.Received.ContainsKey(i!.Value));
            if (scope is null || culprit is null)
            {
                ExceptionDispatchInfo.Throw(broken.InnerException!);
            }

            scope.SuspectIndex(folder.FullName, folder.UidValidity, culprit.Value);
            throw new MessageFaultException("A message broke the page's FETCH.", broken.InnerException!);
        }
    }

    public static async Task<FetchedSummaries> FetchAsync(IMailFolder folder, IList<UniqueId> uids, IFetchRequest request, CancellationToken cancellationToken)
    {
        var scope = FetchFaults.Current;
        // Tiers are looked up message by message only in a folder where one was demoted; elsewhere the page is one FETCH.
        var learned = scope is not null && scope.AnyIn(folder.FullName, folder.UidValidity);
        var summaries = new List<IMessageSummary>(uids.Count);
        var degraded = new HashSet<uint>();
        var partial = new HashSet<uint>();
        foreach (var group in uids.GroupBy(u => learned ? scope!.TierOf(folder.FullName, folder.UidValidity, u.Id) : FetchTier.Full).OrderBy(g => g.Key))
        {
            var tierUids = group.ToList();
            FetchedSummaries fetched;
            try
            {
                fetched = await FetchTierAsync(folder, tierUids, RequestFor(group.Key, request), cancellationToken);
            }
            catch (BrokenFetchException broken)
            {
                throw Demote(scope, folder, tierUids, group.Key, broken);
            }

            summaries.AddRange(fetched.Summaries);
            degraded.UnionWith(fetched.Degraded);
            if (group.Key != FetchTier.Full)
            {
                foreach (var summary in fetched.Summaries)
                {
                    partial.Add(summary.UniqueId.Id);
                    if (summary is MessageSummary { Envelope: null } lesser && summary.Headers is { } headers)
                    {
                        lesser.Envelope = EnvelopeOf(headers);
                    }
                }
            }
        }

        return new FetchedSummaries(summaries, degraded, partial);
    }

    /// <summary>Demotes the first message the server had not answered; rethrows the fault itself when none is to blame.</summary>
    private static MessageFaultException Demote(FetchFaults.Scope? scope, IMailFolder folder, IList<UniqueId> uids, FetchTier tier, BrokenFetchException broken)
    {
        var answered = broken.Received.Values.Select(s => s.UniqueId.Id).ToHashSet();
        var culprit = uids.Select(u => u.Id).Order().Cast<uint?>().FirstOrDefault(u => !answered.Contains(u!.Value));
        if (scope is null || culprit is null || tier == FetchTier.Minimal)
        {
            // Outside the pool, every message answered, or even UID and FLAGS broke: the connection, not a message.
            ExceptionDispatchInfo.Throw(broken.InnerException!);
        }

        scope.Demote(folder.FullName, folder.UidValidity, culprit.Value, tier);
        return new MessageFaultException("A message broke a FETCH.", broken.InnerException!);
    }

    private static Task<FetchedSummaries> FetchTierAsync(IMailFolder folder, IList<UniqueId> uids, IFetchRequest request, CancellationToken cancellationToken) =>
        RunAsync(folder, request,
            ct => folder.FetchAsync(uids, request, ct),
            ct => folder.FetchAsync(uids, UidAndFlags, ct),
            cancellationToken);

    /// <summary>The plan of a tier: what was asked, less what can break on the message.</summary>
    private static IFetchRequest RequestFor(FetchTier tier, IFetchRequest request)
    {
        if (tier == FetchTier.Full)
        {
            return request;
        }

        if (tier == FetchTier.Minimal)
        {
            return UidAndFlags;
        }

        var items = request.Items & ~(MessageSummaryItems.Envelope | MessageSummaryItems.PreviewText);
        if (tier == FetchTier.Bare)
        {
            items &= ~(MessageSummaryItems.BodyStructure | MessageSummaryItems.Body);
        }

        var headers = new HeaderSet(EnvelopeFields);
        if (request.Headers is { } asked)
        {
            headers.AddRange(asked);
        }

        return new FetchRequest(items | MessageSummaryItems.UniqueId | MessageSummaryItems.Flags) { Headers = headers };
    }

    /// <summary>The envelope from the header fields, as the server would have built it (first field of each name).</summary>
    internal static Envelope EnvelopeOf(HeaderList headers)
    {
        var envelope = new Envelope();
        byte[]? Raw(HeaderId id) => headers.FirstOrDefault(h => h.Id == id)?.RawValue;
        void Addresses(HeaderId id, InternetAddressList into)
        {
            if (Raw(id) is { } raw && InternetAddressList.TryParse(ParserOptions.Default, raw, out var parsed))
            {
                into.AddRange(parsed);
            }
        }

        Addresses(HeaderId.From, envelope.From);
        Addresses(HeaderId.Sender, envelope.Sender);
        Addresses(HeaderId.ReplyTo, envelope.ReplyTo);
        Addresses(HeaderId.To, envelope.To);
        Addresses(HeaderId.Cc, envelope.Cc);
        Addresses(HeaderId.Bcc, envelope.Bcc);
        envelope.Subject = Raw(HeaderId.Subject) is { } subject ? MailParsing.DecodeText(subject) : null;
        envelope.Date = Raw(HeaderId.Date) is { } date ? MailParsing.ParseDate(date) : null;
        envelope.MessageId = headers[HeaderId.MessageId] is { } id ? MimeUtils.ParseMessageId(id) : null;
        envelope.InReplyTo = headers[HeaderId.InReplyTo] is { } reply ? MimeUtils.ParseMessageId(reply) : null;
        return envelope;
    }

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
            return new FetchedSummaries(await fetch(cancellationToken));
        }
        catch (ImapCommandException ex) when (ex.Response is ImapCommandResponse.No or ImapCommandResponse.Bad)
        {
            // Fall through: the connection is fine, only some message's data was refused.
        }
        catch (Exception ex) when (ImapConnector.IsConnectionFault(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new BrokenFetchException(received, ex);
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

        return new FetchedSummaries(summaries, degraded, FetchedSummaries.None);
    }

    /// <summary>A FETCH that ended the connection, with what the server had answered before it did.</summary>
    private sealed class BrokenFetchException(Dictionary<int, IMessageSummary> received, Exception inner) : Exception(inner.Message, inner)
    {
        public IReadOnlyDictionary<int, IMessageSummary> Received { get; } = received;
    }
}

using System.Diagnostics;
using MailKit;
using MailKit.Search;

namespace Fayvad.Bench;

/// <summary>Fills the bench INBOX to exactly N messages with MULTIAPPEND (100 per command) through the master login.</summary>
internal static class Seeder
{
    private const int Chunk = 100;

    public static async Task SeedAsync(StackEnv env, BenchOptions options, string mailbox, CancellationToken ct)
    {
        using var imap = await Imap.OpenAsync(env, mailbox, ct);
        var inbox = imap.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
        var count = inbox.Count;
        if (count == options.Messages)
        {
            Console.WriteLine($"[seed] INBOX of {mailbox} already has {count} messages: seeding skipped");
        }
        else
        {
            if (count > options.Messages)
            {
                Console.WriteLine($"[seed] INBOX has {count} messages, more than {options.Messages}: emptying it first");
                await inbox.AddFlagsAsync(Enumerable.Range(0, count).ToList(), MessageFlags.Deleted, true, ct);
                await inbox.ExpungeAsync(ct);
                count = 0;
            }

            Console.WriteLine($"[seed] appending messages {count}..{options.Messages - 1} to INBOX of {mailbox} (MULTIAPPEND x{Chunk})");
            var clock = Stopwatch.StartNew();
            var batch = new List<IAppendRequest>(Chunk);
            for (var i = count; i < options.Messages; i++)
            {
                var message = MessageFactory.Create(i, mailbox, out var arrived, out var flags);
                batch.Add(new AppendRequest(message, flags) { InternalDate = arrived });
                if (batch.Count == Chunk || i == options.Messages - 1)
                {
                    await inbox.AppendAsync(batch, ct);
                    batch.Clear();
                    if ((i + 1) % 1000 == 0 || i == options.Messages - 1)
                    {
                        Console.WriteLine($"[seed]   {i + 1,6} messages  {clock.Elapsed.TotalSeconds,6:F1} s");
                    }
                }
            }

            Console.WriteLine($"[seed] appended {options.Messages - count} messages in {clock.Elapsed.TotalSeconds:F1} s");
        }

        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        if (imap.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.Quota))
        {
            var quota = await inbox.GetQuotaAsync(ct);
            Console.WriteLine($"[seed] mailbox usage {quota.CurrentStorageSize / 1024} MB of {quota.StorageLimit / 1024} MB quota");
        }

        if (inbox.Count != options.Messages)
        {
            throw new InvalidOperationException($"INBOX has {inbox.Count} messages after seeding, expected {options.Messages}");
        }

        // The first full-text SEARCH after a bulk APPEND makes Dovecot index whatever fts_autoindex has not caught up
        // with yet; doing it here keeps that one-off cost out of the measured search scenario.
        var fts = Stopwatch.StartNew();
        var hits = await inbox.SearchAsync(SearchQuery.BodyContains(options.SearchWord), ct);
        Console.WriteLine($"[seed] full-text index ready: SEARCH BODY {options.SearchWord} -> {hits.Count} hits ({fts.Elapsed.TotalSeconds:F1} s)");
        await imap.DisconnectAsync(true, ct);
    }
}

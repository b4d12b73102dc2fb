using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// Real-world mail (tests/corpus, from public parser test suites) appended byte for byte; every page lists, every
/// message opens, every attachment and raw source downloads, and what the API reads agrees with Python's `email`
/// package, except for the differences tests/corpus/allow-list.txt explains.
/// </summary>
public sealed class CorpusTests(ApiFactory factory) : MailTest(factory)
{
    private const int FolderSize = 100;
    private const int PageSize = 50;

    /// <param name="Text">Python shows a plain or html body with text in it.</param>
    private sealed record CorpusMessage(string Name, byte[] Raw, string Subject, string Sender, bool Text, IReadOnlyList<PythonPart> Attachments);

    private sealed record PythonPart(string Part, string Kind, string? Sha256, long? Size);

    [Fact]
    public async Task Every_corpus_message_lists_opens_and_downloads_as_an_independent_parser_reads_it()
    {
        var corpus = ReadCorpus();
        Assert.True(corpus.Count >= 300, $"corpus holds {corpus.Count} messages");
        var box = await MailboxAsync("corpus");
        var folders = corpus.Chunk(FolderSize).Select((chunk, i) => (Name: $"Corpus{i + 1}", Messages: chunk)).ToList();
        await using (var imap = await RawImap.OpenAsync(box.Address, Ct))
        {
            foreach (var (name, messages) in folders)
            {
                // Once seen in CI: CREATE answered [ALREADYEXISTS] for a folder of this new mailbox (cause not found); the
                // folder being there is all the setup needs, and its content is checked message by message below.
                await imap.CommandAsync($"CREATE {name}", Ct, tolerate: "[ALREADYEXISTS]");
                await imap.AppendAsync(name, messages.Select(m => m.Raw).ToList(), Ct);
            }
        }

        var differences = new ConcurrentBag<string>();
        var located = new List<(CorpusMessage Message, string Id)>();
        foreach (var (name, messages) in folders)
        {
            List<JsonElement>? summaryIds = null;
            foreach (var fields in new[] { "", "&fields=summary" })
            {
                var listed = new List<JsonElement>();
                for (var page = 1; ; page++)
                {
                    var url = $"{Root}/email/messages/?folder={name}&limit={PageSize}&page={page}{fields}";
                    var body = await TestApi.ReadAsync(await box.Client.GetAsync(url, Ct), HttpStatusCode.OK);
                    listed.AddRange(body.GetProperty("messages").EnumerateArray());
                    if (!body.GetProperty("has_next").GetBoolean())
                    {
                        break;
                    }
                }

                Assert.Equal(messages.Length, listed.Count);
                summaryIds ??= listed;
            }

            // Newest arrival first: the reverse of the append order.
            located.AddRange(messages.Zip(summaryIds!.AsEnumerable().Reverse(), (m, e) => (m, e.GetProperty("id").GetString()!)));
        }

        await Parallel.ForEachAsync(located, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct }, async (item, ct) =>
        {
            foreach (var difference in await CompareAsync(box.Client, item.Message, item.Id, ct))
            {
                differences.Add(difference);
            }
        });

        var allowed = ReadAllowList();
        // "* | what" explains a whole class of difference, for every message that shows it.
        bool Allowed(string d) => allowed.Contains(Key(d)) || allowed.Contains("* | " + d.Split(" | ")[1]);
        bool Matches(string entry, string d) => Key(d) == entry || (entry.StartsWith("* | ", StringComparison.Ordinal) && d.Split(" | ")[1] == entry[4..]);
        var unexplained = differences.Where(d => !Allowed(d)).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var stale = allowed.Where(a => !differences.Any(d => Matches(a, d))).OrderBy(a => a, StringComparer.Ordinal).ToList();
        Assert.True(unexplained.Count == 0 && stale.Count == 0,
            $"{unexplained.Count} differences not in allow-list.txt:\n{string.Join('\n', unexplained)}\n"
            + $"{stale.Count} allow-list entries no longer needed:\n{string.Join('\n', stale)}");
    }

    private static string Key(string difference) => string.Join(" | ", difference.Split(" | ").Take(2));

    private async Task<List<string>> CompareAsync(HttpClient client, CorpusMessage message, string id, CancellationToken ct)
    {
        var differences = new List<string>();
        var path = $"{Root}/email/messages/{Uri.EscapeDataString(id)}";
        var response = await client.GetAsync(path + "/", ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return [$"{message.Name} | open | {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}"];
        }

        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        var subject = Collapse(detail.GetProperty("subject").GetString()!);
        if (subject != message.Subject)
        {
            differences.Add($"{message.Name} | subject | api '{subject}' python '{message.Subject}'");
        }

        var sender = detail.GetProperty("sender").GetString()!.ToLowerInvariant();
        if (sender != message.Sender)
        {
            differences.Add($"{message.Name} | sender | api '{sender}' python '{message.Sender}'");
        }

        // Text a reader would see never comes back empty (issue 19).
        if (message.Text && string.IsNullOrWhiteSpace(detail.GetProperty("body_text").GetString())
            && string.IsNullOrWhiteSpace(detail.GetProperty("body_html").GetString()))
        {
            differences.Add($"{message.Name} | body | api shows no text, python does");
        }

        var raw = await client.GetAsync(path + "/raw/", ct);
        var rawBytes = await raw.Content.ReadAsByteArrayAsync(ct);
        // Byte for byte what was appended; the one class that cannot be had is told apart (see the allow-list's '*').
        if (raw.StatusCode != HttpStatusCode.OK || !rawBytes.AsSpan().SequenceEqual(message.Raw))
        {
            var served = Served(message.Raw);
            differences.Add(raw.StatusCode == HttpStatusCode.OK && rawBytes.AsSpan().SequenceEqual(served)
                ? $"{message.Name} | raw line endings | bare LF served as CRLF"
                : $"{message.Name} | raw | {(int)raw.StatusCode}, {rawBytes.Length} bytes of {message.Raw.Length}");
        }

        var attachments = detail.GetProperty("attachments").EnumerateArray().ToList();
        if (attachments.Count != message.Attachments.Count)
        {
            differences.Add($"{message.Name} | attachment count | api {attachments.Count} [{string.Join(", ", attachments.Select(a => a.GetProperty("id").GetString()))}]"
                + $" python {message.Attachments.Count} [{string.Join(", ", message.Attachments.Select(a => a.Part))}]");
        }

        foreach (var attachment in attachments)
        {
            var part = attachment.GetProperty("id").GetString()!;
            var download = await client.GetAsync($"{path}/attachments/{Uri.EscapeDataString(part)}/", ct);
            var bytes = await download.Content.ReadAsByteArrayAsync(ct);
            if (download.StatusCode != HttpStatusCode.OK)
            {
                differences.Add($"{message.Name} | download {part} | {(int)download.StatusCode} {Encoding.UTF8.GetString(bytes)}");
                continue;
            }

            var fileName = download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName ?? "";
            if (fileName.IndexOfAny(['/', '\\']) >= 0 || fileName.Any(char.IsControl))
            {
                differences.Add($"{message.Name} | filename {part} | unsafe '{fileName}'");
            }

            var expected = message.Attachments.FirstOrDefault(a => a.Part == part);
            if (expected is null)
            {
                differences.Add($"{message.Name} | bytes {part} | not an attachment for python");
            }
            else if (expected.Kind == "message" ? bytes.Length == 0 : Convert.ToHexStringLower(SHA256.HashData(bytes)) != expected.Sha256)
            {
                differences.Add($"{message.Name} | bytes {part} | api {bytes.Length} bytes, python {expected.Size}");
            }
        }

        return differences;
    }

    /// <summary>What IMAP serves for appended bytes with bare LFs: Dovecot stores lines with LF and serves them with CRLF (RFC 3501).</summary>
    private static byte[] Served(byte[] raw)
    {
        var result = new List<byte>(raw.Length + raw.Length / 40);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                result.Add((byte)'\r');
            }

            result.Add(raw[i]);
        }

        return result.ToArray();
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    internal static string CorpusFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.Directory.Exists(Path.Combine(dir.FullName, "tests", "corpus")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("tests/corpus not found"), "tests", "corpus");
    }

    private static List<CorpusMessage> ReadCorpus()
    {
        var folder = CorpusFolder();
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(folder, "parse_corpus.py"), folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var stderr = python.StandardError.ReadToEndAsync();
        var messages = new List<CorpusMessage>();
        while (python.StandardOutput.ReadLine() is { } line)
        {
            var json = JsonDocument.Parse(line).RootElement;
            messages.Add(new CorpusMessage(
                json.GetProperty("name").GetString()!,
                Convert.FromBase64String(json.GetProperty("raw").GetString()!),
                json.GetProperty("subject").GetString()!,
                json.GetProperty("sender").GetString()!,
                json.GetProperty("text").GetBoolean(),
                json.GetProperty("attachments").EnumerateArray().Select(a => new PythonPart(
                    a.GetProperty("part").GetString()!, a.GetProperty("kind").GetString()!,
                    a.GetProperty("sha256").GetString(), a.GetProperty("size").ValueKind == JsonValueKind.Number ? a.GetProperty("size").GetInt64() : null)).ToList()));
        }

        python.WaitForExit();
        Assert.True(python.ExitCode == 0, $"parse_corpus.py: {stderr.Result}");
        return messages;
    }

    /// <summary>allow-list.txt: "message | what | reason" per line; # starts a comment.</summary>
    private static HashSet<string> ReadAllowList() =>
        File.ReadAllLines(Path.Combine(CorpusFolder(), "allow-list.txt"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var fields = l.Split(" | ");
                Assert.True(fields.Length == 3 && fields[2].Trim().Length > 0, $"allow-list entry without a reason: {l}");
                return $"{fields[0]} | {fields[1]}";
            })
            .ToHashSet(StringComparer.Ordinal);
}

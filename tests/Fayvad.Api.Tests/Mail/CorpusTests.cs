using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

/// <summary>
/// Real-world mail (tests/corpus, from public parser test suites) and the crafted hostile cases (tests/corpus/crafted.py,
/// generated) appended byte for byte; every page lists, every message opens, every attachment and raw source downloads,
/// and what the API reads agrees with Python's `email` package, except for the differences tests/corpus/allow-list.txt
/// explains. The crafted cases are held to what a reader must see of each besides (<see cref="CraftedChecks"/>).
/// </summary>
public sealed class CorpusTests(ApiFactory factory) : MailTest(factory)
{
    private const int FolderSize = 100;
    private const int PageSize = 50;

    /// <summary>Attachments downloaded per message: all up to this many, else this many from each end (parts-5000 has 4,999).</summary>
    private const int DownloadSample = 10;

    /// <summary>
    /// What a reader must see of each crafted case (issue 19) in its list row (with bodies) and its detail, beyond what
    /// every message is held to; null when it holds.
    /// </summary>
    private static readonly Dictionary<string, Func<JsonElement, string?>> CraftedChecks = new()
    {
        // Cut for the page, and said so; the source keeps it whole (raw is compared byte for byte).
        ["crafted/subject-200k"] = d => d.GetProperty("subject").GetString()!.Length is >= 1000 and <= 2001 && HeadersTruncated(d) ? null : "subject not cut with headers_truncated",
        // The sender's address is compared with Python's like every message's.
        ["crafted/from-name-200k"] = d => d.GetProperty("sender_name").GetString()!.Length <= 501 && HeadersTruncated(d) ? null : "name not cut with headers_truncated",
        // The detail only: the list shape has no in_reply_to.
        ["crafted/in-reply-to-1m-line"] = d => !d.TryGetProperty("in_reply_to", out var id) || (id.ValueKind == JsonValueKind.Null && HeadersTruncated(d)) ? null : "in_reply_to not dropped with headers_truncated",
        ["crafted/to-5000"] = d => d.GetProperty("to_recipients").GetArrayLength() == 5000 ? null : $"{d.GetProperty("to_recipients").GetArrayLength()} recipients",
        ["crafted/nested-100"] = d => Shows(d, "deepest text"),
        ["crafted/parts-5000"] = d => Shows(d, "first of many parts"),
        ["crafted/filename-8bit-8k"] = d => Shows(d, "hello filename-8bit-8k"),
        ["crafted/filename-ascii-8k"] = d => Shows(d, "hello filename-ascii-8k"),
    };

    private static bool HeadersTruncated(JsonElement message) => message.TryGetProperty("headers_truncated", out var cut) && cut.GetBoolean();

    private static string? Shows(JsonElement detail, string text) =>
        detail.GetProperty("body_text").GetString()!.Contains(text, StringComparison.Ordinal) ? null : $"body_text lacks '{text}'";

    /// <param name="Text">Python shows a plain or html body with text in it.</param>
    private sealed record CorpusMessage(string Name, byte[] Raw, string Subject, string Sender, bool Text, IReadOnlyList<PythonPart> Attachments);

    private sealed record PythonPart(string Part, string Kind, string? Sha256, long? Size);

    [Fact]
    public async Task Every_corpus_message_lists_opens_and_downloads_as_an_independent_parser_reads_it()
    {
        var corpus = ReadCorpus();
        Assert.True(corpus.Count >= 300, $"corpus holds {corpus.Count} messages");
        Assert.Empty(CraftedChecks.Keys.Except(corpus.Select(m => m.Name)));
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
        var located = new List<(CorpusMessage Message, JsonElement Listed)>();
        foreach (var (name, messages) in folders)
        {
            // The rows of the listing with bodies (the first), each compared with its detail.
            List<JsonElement>? rows = null;
            foreach (var fields in new[] { "", "&fields=summary" })
            {
                var listed = new List<JsonElement>();
                for (var page = 1; ; page++)
                {
                    var url = $"{Root}/email/messages/?folder={name}&limit={PageSize}&page={page}{fields}";
                    var body = await TestApi.ReadAsync(await GetAsync(box.Client, url, Ct), HttpStatusCode.OK);
                    listed.AddRange(body.GetProperty("messages").EnumerateArray());
                    if (!body.GetProperty("has_next").GetBoolean())
                    {
                        break;
                    }
                }

                Assert.Equal(messages.Length, listed.Count);
                rows ??= listed;
            }

            // Newest arrival first: the reverse of the append order.
            located.AddRange(messages.Zip(rows!.AsEnumerable().Reverse(), (m, e) => (m, e)));
        }

        await Parallel.ForEachAsync(located, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct }, async (item, ct) =>
        {
            foreach (var difference in await CompareAsync(box.Client, item.Message, item.Listed, ct))
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

    /// <summary>
    /// A GET that waits out the per-user read limit (1,200 a minute): the corpus alone makes about that many requests,
    /// and what is compared here is what the API reads, not its rate limit (RateLimitTests holds that).
    /// </summary>
    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.GetAsync(url, ct);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 3)
            {
                return response;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(10), ct);
        }
    }

    private static string Key(string difference) => string.Join(" | ", difference.Split(" | ").Take(2));

    private async Task<List<string>> CompareAsync(HttpClient client, CorpusMessage message, JsonElement listed, CancellationToken ct)
    {
        var differences = new List<string>();
        var path = $"{Root}/email/messages/{Uri.EscapeDataString(listed.GetProperty("id").GetString()!)}";
        var response = await GetAsync(client, path + "/", ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return [$"{message.Name} | open | {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}"];
        }

        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        if (detail.GetProperty("id").GetString() != listed.GetProperty("id").GetString()
            || detail.GetProperty("subject").GetString() != listed.GetProperty("subject").GetString())
        {
            differences.Add($"{message.Name} | list and detail | the list and the detail show different ids or subjects");
        }

        if (CraftedChecks.TryGetValue(message.Name, out var check))
        {
            foreach (var (view, failed) in new[] { ("list", check(listed)), ("detail", check(detail)) }.Where(c => c.Item2 is not null))
            {
                differences.Add($"{message.Name} | crafted {view} | {failed}");
            }
        }

        var subject = Collapse(detail.GetProperty("subject").GetString()!);
        // A subject cut for the page (headers_truncated) is the start of the whole one.
        var cut = HeadersTruncated(detail) && subject.EndsWith('…') && message.Subject.StartsWith(subject[..^1], StringComparison.Ordinal);
        if (subject != message.Subject && !cut)
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

        var raw = await GetAsync(client, path + "/raw/", ct);
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

        var sample = attachments.Count <= 2 * DownloadSample ? attachments : [.. attachments.Take(DownloadSample), .. attachments.TakeLast(DownloadSample)];
        foreach (var attachment in sample)
        {
            var part = attachment.GetProperty("id").GetString()!;
            var download = await GetAsync(client, $"{path}/attachments/{Uri.EscapeDataString(part)}/", ct);
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

    /// <summary>The crafted cases as tests/corpus/crafted.py generates them: name (without "crafted/") and bytes.</summary>
    internal static IReadOnlyList<(string Name, byte[] Raw)> Crafted()
    {
        var crafted = new List<(string, byte[])>();
        foreach (var json in RunPython("crafted.py"))
        {
            crafted.Add((json.GetProperty("name").GetString()!, Convert.FromBase64String(json.GetProperty("raw").GetString()!)));
        }

        return crafted;
    }

    /// <summary>One JSON object per line of a script in tests/corpus, run by Debian's python3.</summary>
    private static List<JsonElement> RunPython(string script)
    {
        var folder = CorpusFolder();
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(folder, script), folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var stderr = python.StandardError.ReadToEndAsync();
        var lines = new List<JsonElement>();
        while (python.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement);
        }

        python.WaitForExit();
        Assert.True(python.ExitCode == 0, $"{script}: {stderr.Result}");
        return lines;
    }

    private static List<CorpusMessage> ReadCorpus() =>
        RunPython("parse_corpus.py").Select(json => new CorpusMessage(
            json.GetProperty("name").GetString()!,
            Convert.FromBase64String(json.GetProperty("raw").GetString()!),
            json.GetProperty("subject").GetString()!,
            json.GetProperty("sender").GetString()!,
            json.GetProperty("text").GetBoolean(),
            json.GetProperty("attachments").EnumerateArray().Select(a => new PythonPart(
                a.GetProperty("part").GetString()!, a.GetProperty("kind").GetString()!,
                a.GetProperty("sha256").GetString(), a.GetProperty("size").ValueKind == JsonValueKind.Number ? a.GetProperty("size").GetInt64() : null)).ToList())).ToList();

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

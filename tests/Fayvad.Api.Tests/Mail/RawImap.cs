using System.Net.Sockets;
using System.Text;

namespace Fayvad.Api.Tests.Mail;

/// <summary>IMAP APPEND of exact bytes (MailKit's append takes a parsed message and writes it again).</summary>
internal sealed class RawImap : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly Stream stream;
    private int tag;

    private RawImap(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public static async Task<RawImap> OpenAsync(string mailbox, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", MailKitTestKit.ImapPort, ct);
        var imap = new RawImap(tcp);
        await imap.ReadLineAsync(ct);
        var user = $"{mailbox}*{StackSettings.Get("IMAP_MASTER_USER")}";
        await imap.CommandAsync($"LOGIN {Quote(user)} {Quote(StackSettings.Get("IMAP_MASTER_PASSWORD"))}", ct);
        return imap;
    }

    /// <param name="tolerate">A response code (e.g. "[ALREADYEXISTS]") that counts as success.</param>
    public Task CommandAsync(string command, CancellationToken ct, string? tolerate = null) => SendAsync([Encoding.ASCII.GetBytes(command)], ct, tolerate);

    /// <summary>One MULTIAPPEND (RFC 3502) with LITERAL+ literals.</summary>
    public Task AppendAsync(string folder, IReadOnlyList<byte[]> messages, CancellationToken ct)
    {
        var parts = new List<byte[]> { Encoding.ASCII.GetBytes($"APPEND {folder}") };
        foreach (var message in messages)
        {
            parts.Add(Encoding.ASCII.GetBytes($" {{{message.Length}+}}\r\n"));
            parts.Add(message);
        }

        return SendAsync(parts, ct);
    }

    private async Task SendAsync(IEnumerable<byte[]> parts, CancellationToken ct, string? tolerate = null)
    {
        var t = $"r{++tag}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(t + " "), ct);
        foreach (var part in parts)
        {
            await stream.WriteAsync(part, ct);
        }

        await stream.WriteAsync("\r\n"u8.ToArray(), ct);
        while (true)
        {
            var line = await ReadLineAsync(ct);
            if (line.StartsWith(t + " ", StringComparison.Ordinal))
            {
                Assert.True(line.StartsWith(t + " OK", StringComparison.Ordinal) || (tolerate is not null && line.Contains(tolerate, StringComparison.Ordinal)), line);
                return;
            }
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one, ct) == 1 && one[0] != '\n')
        {
            bytes.Add(one[0]);
        }

        return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    public async ValueTask DisposeAsync()
    {
        await CommandAsync("LOGOUT", CancellationToken.None);
        tcp.Dispose();
    }
}

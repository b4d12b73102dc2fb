using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailKit.Security;
using MimeKit.Utils;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Imap;

/// <summary>
/// <c>UID FETCH n (BINARY.PEEK[section] ...)</c> (RFC 3516) on a short connection of its own: Dovecot answers
/// <c>BODY[]</c> with each NUL byte replaced (by 0x80). Used only for a message whose <c>BODY[]</c> holds that byte
/// (docs/adr/0027).
/// </summary>
/// <remarks>
/// Hand-written because MailKit (4.18) cannot do it: its fetches (<c>GetStreamAsync(uid, section)</c>,
/// <c>GetBodyPartAsync</c>) always ask <c>BODY.PEEK[...]</c>, even when the server has BINARY; its tokenizer has no
/// <c>~{n}</c> literal; it sends no command of the caller's; and it hands out neither its authenticated stream (it
/// wraps a given stream in its own TLS for STARTTLS) nor its modified UTF-7 encoder (internal). So the connection,
/// TLS, LOGIN, EXAMINE and the folder name's encoding are here too; quoting comes from MimeKit.
/// </remarks>
internal sealed partial class BinaryFetcher(IOptions<MailOptions> options)
{
    private readonly ImapOptions _options = options.Value.Imap;

    /// <summary>Each section's bytes (null when the server gave none), or null when the folder was recreated meanwhile.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>?> FetchAsync(
        string mailbox, string folder, uint uidValidity, uint uid, IReadOnlyList<string> sections, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout * 3);
        var ct = timeout.Token;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_options.Host, _options.Port, ct);
        Stream stream = tcp.GetStream();
        var tls = _options.Security is SecureSocketOptions.SslOnConnect || (_options.Security is SecureSocketOptions.Auto && _options.Port == 993);
        if (tls)
        {
            stream = await StartTlsAsync(stream, ct);
        }

        var session = new Session(stream);
        await session.ReadLineAsync(ct);
        if (!tls && _options.Security is SecureSocketOptions.StartTls or SecureSocketOptions.StartTlsWhenAvailable or SecureSocketOptions.Auto)
        {
            var started = await session.CommandAsync("STARTTLS", ct);
            if (started.Ok)
            {
                session = new Session(await StartTlsAsync(stream, ct));
            }
            else if (_options.Security is SecureSocketOptions.StartTls)
            {
                throw new IOException("The IMAP server refused STARTTLS.");
            }
        }

        await session.CommandAsync($"LOGIN {MimeUtils.Quote(mailbox + _options.MasterSeparator + _options.MasterUser)} {MimeUtils.Quote(_options.MasterPassword)}", ct, required: true);
        var examined = await session.CommandAsync($"EXAMINE {MimeUtils.Quote(ModifiedUtf7(folder))}", ct, required: true);
        if (UidValidityPattern().Match(examined.Text) is not { Success: true } validity
            || uint.Parse(validity.Groups[1].Value, CultureInfo.InvariantCulture) != uidValidity)
        {
            return null;
        }

        var items = string.Join(' ', sections.Select(s => $"BINARY.PEEK[{s}]"));
        var fetched = await session.CommandAsync($"UID FETCH {uid} ({items})", ct, required: true);
        await session.CommandAsync("LOGOUT", ct);
        return fetched.Literals;
    }

    private async Task<Stream> StartTlsAsync(Stream inner, CancellationToken ct)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _options.Host }, ct);
        return ssl;
    }

    /// <summary>RFC 3501 5.1.3 mailbox names: printable ASCII as is ('&amp;' as "&amp;-"), other runs as modified base64 of UTF-16.</summary>
    internal static string ModifiedUtf7(string name)
    {
        var result = new StringBuilder();
        for (var i = 0; i < name.Length;)
        {
            if (name[i] is >= ' ' and <= '~')
            {
                result.Append(name[i] == '&' ? "&-" : name[i].ToString());
                i++;
                continue;
            }

            var start = i;
            while (i < name.Length && name[i] is not (>= ' ' and <= '~'))
            {
                i++;
            }

            var utf16 = Encoding.BigEndianUnicode.GetBytes(name[start..i]);
            result.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
        }

        return result.ToString();
    }

    [GeneratedRegex(@"\[UIDVALIDITY (\d+)\]")]
    private static partial Regex UidValidityPattern();

    [GeneratedRegex(@"BINARY\[([0-9.]*)\]\s+~?\{(\d+)\}$")]
    private static partial Regex LiteralPattern();

    private sealed record Response(bool Ok, string Text, Dictionary<string, byte[]> Literals);

    /// <summary>Just enough IMAP to send a tagged command and collect the BINARY literals of its untagged answers.</summary>
    private sealed class Session(Stream stream)
    {
        private int _tag;

        public async Task<Response> CommandAsync(string command, CancellationToken ct, bool required = false)
        {
            var tag = $"b{++_tag}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"{tag} {command}\r\n"), ct);
            await stream.FlushAsync(ct);
            var text = new StringBuilder();
            var literals = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            while (true)
            {
                var line = await ReadLineAsync(ct);
                text.Append(line).Append('\n');
                if (LiteralPattern().Match(line) is { Success: true } literal)
                {
                    var bytes = new byte[int.Parse(literal.Groups[2].Value, CultureInfo.InvariantCulture)];
                    await stream.ReadExactlyAsync(bytes, ct);
                    literals[literal.Groups[1].Value] = bytes;
                    continue;
                }

                if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                {
                    var ok = line.StartsWith(tag + " OK", StringComparison.Ordinal);
                    if (required && !ok)
                    {
                        throw new IOException("The IMAP server refused a BINARY fetch step.");
                    }

                    return new Response(ok, text.ToString(), literals);
                }
            }
        }

        public async Task<string> ReadLineAsync(CancellationToken ct)
        {
            var bytes = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one, ct) == 0)
                {
                    throw new IOException("The IMAP server closed the connection.");
                }

                if (one[0] == '\n')
                {
                    return Encoding.Latin1.GetString(bytes.ToArray()).TrimEnd('\r');
                }

                bytes.Add(one[0]);
            }
        }
    }
}

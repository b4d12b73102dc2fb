using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>The server's answer to a command: OK or NO (or BYE), its text, and any literal data before it (GETSCRIPT).</summary>
public sealed record SieveResponse(bool Ok, string Status, string Text, IReadOnlyList<string> Data);

/// <summary>
/// A ManageSieve client (RFC 5804) as a Sieve editor such as Thunderbird's or Roundcube's speaks it, on the stack's
/// loopback port: enough of the protocol to log in with the user's password and manage scripts. MailKit has none.
/// </summary>
public sealed partial class ManageSieve : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly CancellationToken _ct;

    private ManageSieve(TcpClient tcp, CancellationToken ct)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _ct = ct;
    }

    public static int Port => int.Parse(StackSettings.Get("MANAGESIEVE_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Connects, reads the capabilities and logs in with SASL PLAIN.</summary>
    public static async Task<ManageSieve> LoginAsync(string user, string password, CancellationToken ct)
    {
        var client = await ConnectAsync(ct);
        var login = await client.AuthenticateAsync(user, password);
        Assert.True(login.Ok, $"login as {user}: {login.Status} {login.Text}");
        return client;
    }

    /// <summary>Connects and reads the greeting's capabilities; not logged in yet.</summary>
    public static async Task<ManageSieve> ConnectAsync(CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port, ct);
        var client = new ManageSieve(tcp, ct);
        var greeting = await client.ReadResponseAsync();
        Assert.True(greeting.Ok, $"greeting: {greeting.Status} {greeting.Text}");
        client.Capabilities = greeting.Data;
        return client;
    }

    public Task<SieveResponse> AuthenticateAsync(string user, string password) =>
        CommandAsync($"AUTHENTICATE \"PLAIN\" \"{Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"))}\"");

    /// <summary>The capability lines of the greeting ("IMPLEMENTATION" "...", "SIEVE" "fileinto ...").</summary>
    public IReadOnlyList<string> Capabilities { get; private set; } = [];

    public Task<SieveResponse> PutScriptAsync(string name, string script) => CommandAsync($"PUTSCRIPT {Quoted(name)} {Literal(script)}");

    public Task<SieveResponse> CheckScriptAsync(string script) => CommandAsync($"CHECKSCRIPT {Literal(script)}");

    public Task<SieveResponse> SetActiveAsync(string name) => CommandAsync($"SETACTIVE {Quoted(name)}");

    public Task<SieveResponse> ListScriptsAsync() => CommandAsync("LISTSCRIPTS");

    public async Task<string> GetScriptAsync(string name)
    {
        var response = await CommandAsync($"GETSCRIPT {Quoted(name)}");
        Assert.True(response.Ok, $"GETSCRIPT {name}: {response.Status} {response.Text}");
        return Assert.Single(response.Data);
    }

    public async Task<SieveResponse> CommandAsync(string command)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), _ct);
        return await ReadResponseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CommandAsync("LOGOUT");
        }
        catch (IOException)
        {
            // Already closed by the server.
        }

        _tcp.Dispose();
    }

    private static string Quoted(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A non-synchronizing literal: {bytes+} CRLF then the text.</summary>
    private static string Literal(string text) => $"{{{Encoding.UTF8.GetByteCount(text)}+}}\r\n{text}";

    private async Task<SieveResponse> ReadResponseAsync()
    {
        var data = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            if (Status().Match(line) is { Success: true } status)
            {
                var text = status.Groups["text"].Value;
                // A long answer text comes as a literal: NO {n} CRLF text.
                if (LiteralStart().Match(text) is { Success: true } literal)
                {
                    text = await ReadBytesAsync(int.Parse(literal.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture));
                    await ReadLineAsync();
                }

                return new SieveResponse(status.Groups["status"].Value == "OK", status.Groups["status"].Value, text.Trim().Trim('"'), data);
            }

            if (LiteralStart().Match(line) is { Success: true } block)
            {
                data.Add(await ReadBytesAsync(int.Parse(block.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)));
                await ReadLineAsync();
                continue;
            }

            data.Add(line);
        }
    }

    private async Task<string> ReadLineAsync()
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, _ct) == 0)
            {
                throw new IOException("ManageSieve closed the connection");
            }

            if (one[0] == '\n')
            {
                return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }
    }

    private async Task<string> ReadBytesAsync(int count)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, _ct);
        return Encoding.UTF8.GetString(buffer);
    }

    [GeneratedRegex(@"^(?<status>OK|NO|BYE)(\s+\([^)]*\))?\s*(?<text>.*)$")]
    private static partial Regex Status();

    [GeneratedRegex(@"^\{(?<n>\d+)\}$")]
    private static partial Regex LiteralStart();
}

using System.Diagnostics;
using System.Text;
using MailKit;

namespace Fayvad.Mail.Imap;

/// <summary>
/// MailKit's protocol logger used as an ear: while armed, each line the server sends goes to a callback, which says
/// whether to keep listening. Some answers raise no MailKit event (Dovecot's untagged NO to a NOOP on a recreated
/// folder), so <see cref="KeptFolder"/> reads them here. Disarmed, it costs a null check per read.
/// </summary>
internal sealed class ServerLines : IProtocolLogger
{
    private Func<string, bool>? _onLine;

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <summary><paramref name="onLine"/> returns false to stop listening.</summary>
    public void Arm(Func<string, bool> onLine) => Volatile.Write(ref _onLine, onLine);

    public void Disarm() => Volatile.Write(ref _onLine, null);

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (_command is not null)
        {
            EndCommandIfCompleted(buffer.AsSpan(offset, count));
        }

        if (Volatile.Read(ref _onLine) is not { } onLine)
        {
            return;
        }

        foreach (var line in Encoding.ASCII.GetString(buffer, offset, count).Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (!onLine(line))
            {
                Disarm();
                return;
            }
        }
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (MailTracing.Source.HasListeners())
        {
            StartCommand(buffer.AsSpan(offset, count));
        }
    }

    public void LogConnect(Uri uri)
    {
    }

    public void Dispose() => EndCommand(null);

    // One span per IMAP command, named by its verb only ("imap UID FETCH"): MailKit traces connect and login, not the
    // commands. A session sends one command at a time, so one open span per connection is enough.
    private Activity? _command;
    private byte[] _tag = [];

    private void StartCommand(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        if (space < 2 || !IsTag(line[..space]))
        {
            return; // literal data or a continuation, not a command
        }

        EndCommand(null);
        var verb = Word(line[(space + 1)..]);
        if (verb == "UID")
        {
            verb += " " + Word(line[(space + 5)..]);
        }

        _command = MailTracing.Source.StartActivity("imap " + verb, ActivityKind.Client);
        _command?.SetTag("imap.command", verb);
        _tag = _command is null ? [] : line[..(space + 1)].ToArray();
    }

    private void EndCommandIfCompleted(ReadOnlySpan<byte> data)
    {
        for (var at = data.IndexOf(_tag); at >= 0; at = data[(at + 1)..].IndexOf(_tag) is var next and >= 0 ? at + 1 + next : -1)
        {
            if (at == 0 || data[at - 1] == (byte)'\n')
            {
                EndCommand(Word(data[(at + _tag.Length)..]));
                return;
            }
        }
    }

    private void EndCommand(string? status)
    {
        if (_command is not { } command)
        {
            return;
        }

        if (status is not null)
        {
            command.SetTag("imap.status", status);
            if (status != "OK")
            {
                command.SetStatus(ActivityStatusCode.Error, status);
            }
        }

        command.Stop();
        _command = null;
    }

    /// <summary>MailKit's tags: a letter, then digits ("A00000012").</summary>
    private static bool IsTag(ReadOnlySpan<byte> token) =>
        token[0] is >= (byte)'A' and <= (byte)'Z' && !token[1..].ContainsAnyExceptInRange((byte)'0', (byte)'9');

    /// <summary>The leading upper-case word: a verb or a status, never a name or an argument.</summary>
    private static string Word(ReadOnlySpan<byte> text)
    {
        var length = 0;
        while (length < text.Length && length < 24 && text[length] is >= (byte)'A' and <= (byte)'Z')
        {
            length++;
        }

        return length == 0 ? "OTHER" : Encoding.ASCII.GetString(text[..length]);
    }
}

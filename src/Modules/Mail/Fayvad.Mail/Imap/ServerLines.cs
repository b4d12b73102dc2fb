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
    }

    public void LogConnect(Uri uri)
    {
    }

    public void Dispose()
    {
    }
}

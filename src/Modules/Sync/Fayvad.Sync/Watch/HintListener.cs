using System.Net.Sockets;
using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Sync.Watch;

/// <summary>
/// Receives Dovecot's push hints (deploy/dovecot/push-hints.lua): UDP datagrams <c>"fayvad-hint 1\tuser\tfolder..."</c>
/// sent after each committed change. A hint only names a mailbox; <see cref="HintWatchRegistry"/> finds what changed.
/// Several processes on one host may listen on the same port (SO_REUSEPORT): the kernel gives each datagram to one of
/// them, and a node that does not hold the mailbox passes the hint on.
/// </summary>
internal sealed partial class HintListener(HintWatchRegistry registry, IOptions<PushOptions> options, ILogger<HintListener> logger) : BackgroundService
{
    private const string Prefix = "fayvad-hint 1\t";

    /// <summary>Completes once the port is bound, so a test knows a hint sent now is received.</summary>
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Bound => _bound.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var push = options.Value;
        var endpoint = new IPEndPoint(IPAddress.Parse(push.HintAddress), push.HintPort);
        var buffer = new byte[2048];
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                if (OperatingSystem.IsLinux())
                {
                    // SO_REUSEPORT (SOL_SOCKET 1, option 15): several API processes of one host share the port.
                    socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
                }

                // Room for a burst while the receive loop is busy (a delivery to many users at once).
                socket.ReceiveBufferSize = 1 << 20;
                socket.Bind(endpoint);
                _bound.TrySetResult();
                delay = TimeSpan.FromSeconds(1);
                EndPoint from = new IPEndPoint(endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
                while (!stoppingToken.IsCancellationRequested)
                {
                    var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stoppingToken);
                    if (Parse(buffer.AsSpan(0, received.ReceivedBytes)) is { } mailbox)
                    {
                        registry.Hint(mailbox);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Port taken or the address gone: hints are lost meanwhile, and the sweep repairs them.
                LogListenFailed(logger, ex, endpoint.ToString(), delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    /// <summary>The mailbox a hint names; null for anything else (a stray datagram is ignored).</summary>
    internal static string? Parse(ReadOnlySpan<byte> datagram)
    {
        var text = Encoding.UTF8.GetString(datagram);
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = text.AsSpan(Prefix.Length);
        var end = rest.IndexOf('\t');
        var user = (end < 0 ? rest : rest[..end]).Trim();
        return user.Length is > 0 and <= 320 ? user.ToString() : null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot receive push hints on {Endpoint} (UDP); retrying in {Seconds} s")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string endpoint, double seconds);
}

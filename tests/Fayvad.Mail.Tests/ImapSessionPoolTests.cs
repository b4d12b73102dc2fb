using System.Net;
using System.Net.Sockets;
using System.Text;
using Fayvad.Mail.Imap;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Tests;

/// <summary>The pool's accounting under cancellation and dead connections, against a scripted IMAP peer.</summary>
public sealed class ImapSessionPoolTests : IAsyncDisposable
{
    private const string Mailbox = "someone@pool.test";
    private readonly ScriptedImapServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cancelling_during_the_health_check_closes_the_connection_and_frees_its_slot()
    {
        await using var pool = NewPool(healthCheckAfter: TimeSpan.Zero);
        await pool.RunAsync(Mailbox, (_, _) => Task.FromResult(0), Ct);
        Assert.Equal(1, pool.OpenConnections);

        _server.HoldNoop = true;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = pool.RunAsync(Mailbox, (_, _) => Task.FromResult(0), cancel.Token);
        await _server.NoopSeen.WaitAsync(Ct);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(0, pool.OpenConnections);

        // The only slot (MaxConnections = 1) is usable again.
        _server.HoldNoop = false;
        Assert.Equal(7, await pool.RunAsync(Mailbox, (_, _) => Task.FromResult(7), Ct));
        Assert.Equal(1, pool.OpenConnections);
    }

    [Fact]
    public async Task Cancelling_during_the_work_closes_the_connection_and_frees_its_slot()
    {
        await using var pool = NewPool(healthCheckAfter: TimeSpan.FromMinutes(5));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        _server.HoldNoop = true;
        var run = pool.RunAsync(Mailbox, async (session, token) =>
        {
            await session.RefreshAsync(token);
            return 0;
        }, cancel.Token);
        await _server.NoopSeen.WaitAsync(Ct);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(0, pool.OpenConnections);
        _server.HoldNoop = false;
        Assert.Equal(3, await pool.RunAsync(Mailbox, (_, _) => Task.FromResult(3), Ct));
    }

    [Fact]
    public async Task A_kept_connection_that_died_while_idle_is_replaced_once_without_failing_the_request()
    {
        await using var pool = NewPool(healthCheckAfter: TimeSpan.FromMinutes(5));
        await pool.RunAsync(Mailbox, (_, _) => Task.FromResult(0), Ct);
        var before = _server.Connections;

        _server.DropAll(); // as when the mail server restarts
        var result = await pool.RunAsync(Mailbox, async (session, token) =>
        {
            await session.RefreshAsync(token);
            return 5;
        }, Ct);

        Assert.Equal(5, result);
        Assert.Equal(before + 1, _server.Connections);
        Assert.Equal(1, pool.OpenConnections);
    }

    [Fact]
    public async Task A_new_connection_that_fails_is_not_retried_and_gives_a_clear_unavailable_error()
    {
        await using var pool = NewPool(healthCheckAfter: TimeSpan.FromMinutes(5));
        var error = await Assert.ThrowsAsync<MailUnavailableException>(() => pool.RunAsync(Mailbox, async (session, token) =>
        {
            _server.DropAll();
            await session.RefreshAsync(token);
            return 0;
        }, Ct));

        Assert.Contains("mail server", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.Connections);
        Assert.Equal(0, pool.OpenConnections);
    }

    private ImapSessionPool NewPool(TimeSpan healthCheckAfter)
    {
        var options = Options.Create(new MailOptions
        {
            Imap = new ImapOptions
            {
                Host = "127.0.0.1",
                Port = _server.Port,
                Security = SecureSocketOptions.None,
                MasterUser = "master",
                MasterPassword = "pool-test",
                MaxConnections = 1,
                MaxConnectionsPerUser = 1,
                HealthCheckAfter = healthCheckAfter,
                LeaseTimeout = TimeSpan.FromSeconds(2),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        });
        return new ImapSessionPool(options, new ImapConnector(options, NullLogger<ImapConnector>.Instance), NullLogger<ImapSessionPool>.Instance,
            new MailMetrics(new TestMeterFactory()), new FetchFaults(TimeProvider.System));
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>
    /// Just enough IMAP4rev1 for MailKit to connect, log in and NOOP; NOOP answers can be held to let a test cancel
    /// mid-command, and every connection can be dropped at once.
    /// </summary>
    private sealed class ScriptedImapServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _clients = [];
        private readonly Task _accepting;
        private int _connections;

        public ScriptedImapServer()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Connections => Volatile.Read(ref _connections);
        public volatile bool HoldNoop;
        public SemaphoreSlim NoopSeen { get; } = new(0);

        public void DropAll()
        {
            lock (_clients)
            {
                foreach (var client in _clients)
                {
                    try
                    {
                        // Reset, not FIN: the pool sees a dead peer as after a crash.
                        client.Client.LingerState = new LingerOption(true, 0);
                    }
                    catch (ObjectDisposedException)
                    {
                        // Closed already (LOGOUT).
                    }

                    client.Dispose();
                }

                _clients.Clear();
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }

                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                await writer.WriteLineAsync("* OK [CAPABILITY IMAP4rev1] scripted peer ready");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var parts = line.Split(' ', 3);
                    var (tag, command) = (parts[0], parts.Length > 1 ? parts[1].ToUpperInvariant() : "");
                    switch (command)
                    {
                        case "CAPABILITY":
                            await writer.WriteLineAsync("* CAPABILITY IMAP4rev1");
                            break;
                        case "LIST":
                            await writer.WriteLineAsync(line.EndsWith("\"\"", StringComparison.Ordinal)
                                ? "* LIST (\\Noselect) \"/\" \"\""
                                : "* LIST (\\HasNoChildren) \"/\" INBOX");
                            break;
                        case "NOOP" when HoldNoop:
                            NoopSeen.Release();
                            await Task.Delay(Timeout.Infinite, _stop.Token);
                            break;
                        case "LOGOUT":
                            await writer.WriteLineAsync("* BYE bye");
                            await writer.WriteLineAsync($"{tag} OK done");
                            return;
                    }

                    await writer.WriteLineAsync($"{tag} OK done");
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
            {
                // The peer went away or the test dropped the connection.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            DropAll();
            await _accepting;
            _stop.Dispose();
        }
    }
}

/// <summary>Meters for a pool built outside a host.</summary>
internal sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Fayvad.Directory.Features.Aliases;
using Fayvad.Directory.Features.SendingLimits;
using Fayvad.Shared.Modules;
using Microsoft.Extensions.Logging;

namespace Fayvad.Directory.MailPolicy;

/// <summary>
/// `Fayvad.Host policy-server --listen=127.0.0.1:10045`: Postfix's policy delegation (SMTPD_POLICY_README), one
/// service for the Directory's two mail rules, told apart by the state Postfix asks in: at RCPT, for an internal-only
/// alias, whether the sender may write to it (docs/adr/0034); at end of data on the submission service, the hourly
/// sending limits (docs/adr/0036). It runs beside Postfix (deploy/stack.sh starts it), not in the API, so every
/// client's mail obeys the same rules and the API's own hosts need no listener of their own.
/// </summary>
internal sealed partial class PolicyServerCommandLine(
    SendingLimitPolicy sendingLimits, InternalOnlyPolicy internalOnly, ILogger<PolicyServerCommandLine> logger) : IModuleCommand
{
    // Postfix's attributes are short; a longer line is not Postfix talking.
    private const int MaxLine = 8 * 1024;

    public string Name => "policy-server";

    public string Usage => "policy-server --listen=ADDRESS:PORT  serve Postfix's policy requests (internal-only aliases, sending limits) until SIGTERM";

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var listen = args.FirstOrDefault(a => a.StartsWith("--listen=", StringComparison.Ordinal))?["--listen=".Length..];
        if (listen is null || !IPEndPoint.TryParse(listen, out var endpoint) || endpoint.Port == 0)
        {
            await error.WriteLineAsync("usage: " + Usage);
            return 2;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var listener = new TcpListener(endpoint);
        listener.Start();
        await output.WriteLineAsync($"policy-server: listening on {endpoint}");
        await output.FlushAsync(cancellationToken);
        var housekeeping = ForgetOldCountsAsync(stop.Token);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = ServeAsync(client, stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            listener.Stop();
        }

        await housekeeping;
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>One Postfix connection: requests (name=value lines, then an empty line) and answers, until it closes.</summary>
    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        try
        {
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 4096);
            await using var writer = new StreamWriter(stream, Encoding.ASCII, 4096) { NewLine = "\n", AutoFlush = false };
            var request = new Dictionary<string, string>(StringComparer.Ordinal);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length > MaxLine)
                {
                    return;
                }

                if (line.Length > 0)
                {
                    var equals = line.IndexOf('=', StringComparison.Ordinal);
                    if (equals > 0)
                    {
                        request[line[..equals]] = line[(equals + 1)..];
                    }

                    continue;
                }

                var action = await DecideAsync(request, cancellationToken);
                await writer.WriteAsync($"action={action}\n\n");
                await writer.FlushAsync(cancellationToken);
                request.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            // Postfix closed the connection, or the server is stopping.
        }
    }

    private Task<string> DecideAsync(Dictionary<string, string> request, CancellationToken cancellationToken) =>
        request.GetValueOrDefault("protocol_state") switch
        {
            "RCPT" => DecideInternalOnlyAsync(request, cancellationToken),
            "END-OF-MESSAGE" or "DATA" => DecideSendingLimitAsync(request, cancellationToken),
            _ => Task.FromResult("DUNNO"),
        };

    /// <summary>Asked only for internal-only recipients (main.cf's restriction class): the answer is yes or 550.</summary>
    private async Task<string> DecideInternalOnlyAsync(Dictionary<string, string> request, CancellationToken cancellationToken)
    {
        var recipient = request.GetValueOrDefault("recipient") ?? "";
        try
        {
            return await internalOnly.AllowsAsync(recipient, request.GetValueOrDefault("sasl_username"), cancellationToken)
                ? "DUNNO"
                : InternalOnlyPolicy.Refusal;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A gate, unlike the limits: the sender retries rather than getting through unchecked.
            LogInternalOnlyUnchecked(logger, ex, recipient);
            return "451 4.3.0 cannot check the sender right now, try again later";
        }
    }

    private async Task<string> DecideSendingLimitAsync(Dictionary<string, string> request, CancellationToken cancellationToken)
    {
        // Only authenticated submissions are limited; the inbound listener does not ask, and this guards it anyway.
        if (!request.TryGetValue("sasl_username", out var login) || login.Length == 0)
        {
            return "DUNNO";
        }

        var recipients = int.TryParse(request.GetValueOrDefault("recipient_count"), out var count) ? count : 1;
        try
        {
            var verdict = await sendingLimits.CheckAndCountAsync(login, recipients, cancellationToken);
            if (verdict.Allowed)
            {
                return "DUNNO";
            }

            LogRefused(logger, login, recipients, verdict.Refusal!);
            return "450 4.7.1 " + verdict.Refusal;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Limits are a brake, not a gate: while PostgreSQL is away mail goes on uncounted, as it does when this
            // service itself is down (Postfix's default_action=DUNNO, deploy/postfix/main.cf).
            LogUncounted(logger, ex, login);
            return "DUNNO";
        }
    }

    private async Task ForgetOldCountsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        try
        {
            do
            {
                try
                {
                    await sendingLimits.ForgetOldAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
                {
                    LogHousekeepingFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sending limit: refused a message of {Login} to {Recipients} recipients: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string login, int recipients, string refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending limit not checked for {Login}; the message goes uncounted")]
    private static partial void LogUncounted(ILogger logger, Exception exception, string login);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Internal-only recipient {Recipient} not checked; the sender was told to retry")]
    private static partial void LogInternalOnlyUnchecked(ILogger logger, Exception exception, string recipient);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Old sending counts could not be removed")]
    private static partial void LogHousekeepingFailed(ILogger logger, Exception exception);
}

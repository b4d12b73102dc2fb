using System.Threading.Channels;
using Fayvad.Sync.Log;
using Microsoft.Extensions.Logging;

namespace Fayvad.Sync.Watch;

/// <summary>
/// Hints about mailboxes this node does not hold, passed on in batches (one NOTIFY each) to whichever node holds them.
/// Bounded: past 10,000 waiting hints new ones are dropped, and the holder's sweep repairs what that loses.
/// </summary>
internal sealed partial class HintForwarder(Leases leases, string nodeId, ILogger logger)
{
    private const int MaxBatch = 1000;

    private readonly Channel<string> _waiting = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Forward(string mailbox) => _waiting.Writer.TryWrite(mailbox);

    public async Task RunAsync(CancellationToken ct)
    {
        var batch = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            while (await _waiting.Reader.WaitToReadAsync(ct))
            {
                while (batch.Count < MaxBatch && _waiting.Reader.TryRead(out var mailbox))
                {
                    batch.Add(mailbox);
                }

                try
                {
                    await leases.ForwardHintsAsync(batch.ToList(), nodeId, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    LogForwardFailed(logger, ex, batch.Count);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not pass {Count} push hints on to other nodes")]
    private static partial void LogForwardFailed(ILogger logger, Exception exception, int count);
}

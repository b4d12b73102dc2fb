using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Fayvad.PushBench;

/// <summary>The API's managed heap right after a full blocking GC: what is live, not what the GC has yet to collect.</summary>
internal sealed record GcHeap(long HeapKb, long Gen2Kb, long LohKb, long PohKb, int Handles, int PinnedObjects, int Gen2Count);

/// <summary>
/// Over the runtime's diagnostics socket (EventPipe): enabling the GCHeapCollect keyword makes the runtime run a full
/// blocking GC (the way dotnet-gcdump triggers its GC), and its GCHeapStats event gives the sizes it left.
/// </summary>
internal static class GcProbe
{
    public static async Task<GcHeap?> CollectAsync(int pid, CancellationToken ct)
    {
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        var client = new DiagnosticsClient(pid);
        using var session = await client.StartEventPipeSessionAsync(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false, token: ct);
        using var source = new EventPipeEventSource(session.EventStream);
        var result = new TaskCompletionSource<GcHeap>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fullGc = false;
        var gen2Count = 0;
        source.Clr.GCStart += e =>
        {
            fullGc = e.Depth == 2;
            gen2Count = e.Count;
        };
        source.Clr.GCHeapStats += e =>
        {
            if (fullGc)
            {
                result.TrySetResult(new GcHeap(e.TotalHeapSize / 1024, e.GenerationSize2 / 1024, e.GenerationSize3 / 1024, e.GenerationSize4 / 1024,
                    e.GCHandleCount, e.PinnedObjectCount, gen2Count));
            }
        };
        Task processing = Task.Run(() => { source.Process(); }, CancellationToken.None);
        try
        {
            return await result.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await processing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

using System.Diagnostics;

namespace Fayvad.Sync;

/// <summary>The Sync module's spans (sync passes); the Host decides where they go. Kinds of work, never content.</summary>
internal static class SyncTracing
{
    public const string SourceName = "Fayvad.Sync";

    public static readonly ActivitySource Source = new(SourceName);
}

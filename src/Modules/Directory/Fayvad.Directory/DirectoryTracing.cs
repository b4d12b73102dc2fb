using System.Diagnostics;

namespace Fayvad.Directory;

/// <summary>The Directory module's spans (DNS checks); the Host decides where they go. Kinds of work, never content.</summary>
internal static class DirectoryTracing
{
    public const string SourceName = "Fayvad.Directory";

    public static readonly ActivitySource Source = new(SourceName);
}

namespace Fayvad.Shared.Modules;

/// <summary>
/// An operator's command a module offers on the Host's command line (`Fayvad.Host NAME ARGS`, like `migrate`): it runs
/// against the configured database with no HTTP caller, writes its answer to <c>output</c> (what went wrong to
/// <c>error</c>) and returns the exit code.
/// </summary>
public interface IModuleCommand
{
    string Name { get; }

    /// <summary>One line: the arguments and what the command does.</summary>
    string Usage { get; }

    Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken);
}

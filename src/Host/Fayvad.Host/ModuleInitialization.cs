using Fayvad.Shared.Modules;

namespace Fayvad.Host;

internal static class ModuleInitialization
{
    /// <summary>Runs each module's initializers (migrations first, then seeds) in registration order.</summary>
    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        foreach (var initializer in scope.ServiceProvider.GetServices<IModuleInitializer>())
        {
            await initializer.InitializeAsync(cancellationToken);
        }
    }
}

/// <summary>The modules' command-line commands (IModuleCommand): `Fayvad.Host NAME ARGS` runs one and exits with its code.</summary>
internal static class ModuleCommands
{
    /// <summary>The command named by the first argument, if it is a word (not an option or a Key=value setting).</summary>
    public static string? Named(string[] args) =>
        args.Length > 0 && args[0] is { Length: > 0 } first && !first.StartsWith('-') && !first.StartsWith('/') && !first.Contains('=', StringComparison.Ordinal)
            ? first
            : null;

    /// <summary>Runs the named command with the arguments after its name; an unknown name prints the commands there are (exit 2).</summary>
    public static async Task<int> RunAsync(IServiceProvider services, string name, string[] args, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var commands = scope.ServiceProvider.GetServices<IModuleCommand>().ToList();
        if (commands.FirstOrDefault(c => c.Name == name) is { } command)
        {
            return await command.RunAsync([.. args.Skip(1)], Console.Out, Console.Error, cancellationToken);
        }

        await Console.Error.WriteLineAsync($"Unknown command '{name}'. Commands: migrate (schema and demo data), "
            + string.Join(", ", commands.Select(c => $"{c.Name} {c.Usage}")) + "; none starts the API.");
        return 2;
    }
}

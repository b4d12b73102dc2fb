using System.Globalization;

namespace Fayvad.PushBench;

/// <summary>What `deploy/stack.sh up --api` wrote to .stack/stack.env; an environment variable of the same name wins.</summary>
internal sealed class StackEnv
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private StackEnv(string path)
    {
        Path = path;
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                _values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
            }
        }
    }

    public string Path { get; }

    /// <summary>The checkout the stack belongs to (.stack's parent).</summary>
    public string RepoRoot => System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!)!;

    public static StackEnv Load(string? path)
    {
        path ??= FindDefault();
        if (!File.Exists(path))
        {
            throw new BenchException($"{path} does not exist: start the stack first (deploy/stack.sh up --api).");
        }

        return new StackEnv(path);
    }

    public string Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnv
            ? fromEnv
            : _values.TryGetValue(name, out var value) && value.Length > 0
                ? value
                : throw new BenchException($"{name} is missing from {Path}.");

    public int GetInt(string name) => int.Parse(Get(name), CultureInfo.InvariantCulture);

    private static string FindDefault()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Fayvad.sln")))
            {
                return System.IO.Path.Combine(dir.FullName, ".stack", "stack.env");
            }
        }

        throw new BenchException("Fayvad.sln not found above the current directory; pass --stack-env PATH.");
    }
}

/// <summary>A failure that ends the benchmark with a message (no stack trace).</summary>
internal sealed class BenchException(string message, Exception? inner = null) : Exception(message, inner);

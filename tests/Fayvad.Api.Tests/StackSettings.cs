namespace Fayvad.Api.Tests;

/// <summary>
/// What `deploy/stack.sh up` started, read from .stack/stack.env (environment variables win), so the tests run
/// against the same real PostgreSQL the service uses.
/// </summary>
public static class StackSettings
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Values = new(Load);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnv
            ? fromEnv
            : Values.Value.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException(
                    $"{name} is not set. Start the stack first (deploy/stack.sh up) or export {name}.");

    public static string DbConnection => Get("DB_CONNECTION");

    private static Dictionary<string, string> Load()
    {
        var path = Path.Combine(RepoRoot, ".stack", "stack.env");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
            }
        }

        return values;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fayvad.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fayvad.sln not found above " + AppContext.BaseDirectory);
    }
}

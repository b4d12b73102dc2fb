namespace Fayvad.Api.Tests;

/// <summary>
/// What `deploy/stack.sh up` started, read from .stack/stack.env (environment variables win), so the tests run
/// against the same real PostgreSQL the service uses; and the API's settings for that stack, from .stack/api.env.
/// </summary>
public static class StackSettings
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Values = new(() => Load("stack.env"));
    private static readonly Lazy<IReadOnlyDictionary<string, string>> ApiValues = new(LoadApiSettings);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnv
            ? fromEnv
            : Values.Value.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException(
                    $"{name} is not set. Start the stack first (deploy/stack.sh up) or export {name}.");

    public static string DbConnection => Get("DB_CONNECTION");

    /// <summary>
    /// The Host's settings for the stack as `stack.sh up` wrote them (.stack/api.env: connection string, IMAP, SMTP,
    /// doveadm, push hints, DNS), keys in environment form (<c>Mail__Imap__Port</c>). Every API host of the tests
    /// starts from these (TestHostSettings), as `stack.sh up --api` and `migrate` do.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ApiSettings => ApiValues.Value;

    private static IReadOnlyDictionary<string, string> LoadApiSettings()
    {
        var values = Load("api.env");
        return values.Count > 0
            ? values
            : throw new InvalidOperationException("The stack's API settings (.stack/api.env) are missing. Start the stack first (deploy/stack.sh up).");
    }

    private static Dictionary<string, string> Load(string file)
    {
        var path = Path.Combine(RepoRoot, ".stack", file);
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

using System.Globalization;

namespace Fayvad.Bench;

/// <summary>
/// What <c>deploy/stack.sh up --api</c> wrote to <c>.stack/stack.env</c> (API_URL, IMAP_*, DEMO_* ...). Secrets are only
/// ever read from there (or the environment, which wins), never from the repository.
/// </summary>
internal sealed class StackEnv
{
    private readonly Dictionary<string, string> _values;

    private StackEnv(string path, Dictionary<string, string> values)
    {
        Path = path;
        _values = values;
    }

    public string Path { get; }

    public string this[string name] =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnv
            ? fromEnv
            : _values.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException($"{name} is missing from {Path} (did deploy/stack.sh up --api run?)");

    public Uri ApiUrl => new(this["API_URL"].TrimEnd('/') + "/");
    public string ImapHost => this["IMAP_HOST"];
    public int ImapPort => int.Parse(this["IMAP_PORT"], CultureInfo.InvariantCulture);
    public string StackDir => _values.TryGetValue("STACK_DIR", out var dir) ? dir : System.IO.Path.GetDirectoryName(Path)!;

    public static StackEnv Load(string? explicitPath)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable("BENCH_STACK_ENV") ?? Find();
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} not found: run deploy/stack.sh up --api first (bench/run.sh does)");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
            }
        }

        return new StackEnv(path, values);
    }

    /// <summary>The .stack/stack.env of the checkout this program was built in (walks up to Fayvad.sln).</summary>
    private static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Fayvad.sln")))
                {
                    return System.IO.Path.Combine(dir.FullName, ".stack", "stack.env");
                }
            }
        }

        return System.IO.Path.Combine(Environment.CurrentDirectory, ".stack", "stack.env");
    }
}

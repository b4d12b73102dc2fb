using Fayvad.Api.Tests.Faults;

namespace Fayvad.Api.Tests.Deploy;

/// <summary>
/// The run command installs what runs the service; the test command (scripts/test.sh, what CI runs through .ci/run)
/// adds what only the tests use. Read from each command's own plan (`--plan`: the Debian packages it ensures, one per
/// line, nothing installed), which is the list the command installs from.
/// </summary>
public sealed class InstallPlanTests
{
    /// <summary>PostgreSQL, Dovecot, Postfix, the DKIM signer and verifier, NSD, curl for up --api's health wait, and the spam and virus filters.</summary>
    private static readonly string[] Service =
        ["postgresql-15", "dovecot-imapd", "dovecot-lmtpd", "dovecot-pgsql", "postfix", "postfix-pgsql", "opendkim", "libopendbx1-pgsql", "nsd", "curl",
         "rspamd", "redis-server", "clamav-daemon", "clamav-milter"];

    /// <summary>The docs page and OpenAPI tools (tools/openapi), the deploy tests (nginx, systemd-analyze), dkimpy.</summary>
    private static readonly string[] TestsOnly = ["chromium", "nodejs", "npm", "nginx", "systemd", "python3-dkim", "python3-dnspython"];

    [Fact]
    public async Task UpWithTheApiInstallsOnlyWhatRunsTheService()
    {
        var plan = await PlanAsync("deploy/stack.sh", "up", "--api", "--plan");
        Assert.All(Service, p => Assert.Contains(p, plan));
        Assert.All(TestsOnly, p => Assert.DoesNotContain(p, plan));
    }

    [Fact]
    public async Task TheTestCommandInstallsTheServiceAndWhatTheTestsUse()
    {
        var run = await PlanAsync("deploy/stack.sh", "up", "--plan");
        var test = await PlanAsync("scripts/test.sh", "--plan");
        Assert.All(run, p => Assert.Contains(p, test));
        Assert.All(TestsOnly, p => Assert.Contains(p, test));
    }

    private static async Task<HashSet<string>> PlanAsync(string script, params string[] args)
    {
        var output = await StackProcesses.RunAsync(Path.Combine(StackSettings.RepoRoot, script), args);
        var plan = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        Assert.All(plan, p => Assert.Matches("^[a-z0-9][a-z0-9.+-]+$", p));
        return plan;
    }
}

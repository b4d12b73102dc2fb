using System.Diagnostics;

namespace Fayvad.Api.Tests;

/// <summary>Runs Dovecot's own admin tool, to check what the API writes against the mail server's code.</summary>
public static class Doveadm
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("doveadm") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + error);
    }
}

namespace Fayvad.Api.Tests;

/// <summary>
/// Approval testing without Verify (not served here; see docs/adr/0003): the approved text lives in
/// Golden/NAME.approved.txt beside the tests. A mismatch writes NAME.received.txt and fails;
/// UPDATE_GOLDEN=1 accepts the received text as the new approved one.
/// </summary>
public static class GoldenFile
{
    public static void AssertMatches(string name, string actual)
    {
        var folder = Path.Combine(StackSettings.RepoRoot, "tests", "Fayvad.Api.Tests", "Golden");
        var approvedPath = Path.Combine(folder, name + ".approved.txt");
        var receivedPath = Path.Combine(folder, name + ".received.txt");
        actual = actual.ReplaceLineEndings("\n");

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(approvedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : null;
        if (approved == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        Assert.Fail(approved is null
            ? $"No approved file for '{name}'. Review {receivedPath} and run with UPDATE_GOLDEN=1 to approve it."
            : $"'{name}' differs from the approved file. Compare with: diff {approvedPath} {receivedPath}");
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Contract;

/// <summary>
/// The document and its page as outsiders meet them, against the built API on a loopback port: Redocly's linter on the
/// document, and the docs page in Debian's headless Chromium (tools/openapi, pinned by its package-lock.json;
/// scripts/test.sh runs <c>npm ci</c> there). Both leave their output under artifacts/.
/// </summary>
public sealed class DocumentToolsTests(ApiFactory factory) : ApiTest(factory)
{
    private static readonly string Tools = Path.Combine(StackSettings.RepoRoot, "tools", "openapi");
    private static readonly string Artifacts = Path.Combine(StackSettings.RepoRoot, "artifacts");

    [Fact]
    public async Task The_document_passes_the_OpenAPI_linter_and_the_docs_page_lists_every_operation_and_makes_a_call()
    {
        Assert.True(File.Exists(Path.Combine(Tools, "node_modules", ".package-lock.json")),
            $"run `npm ci` in {Tools} first (scripts/test.sh does)");
        await using var host = await HostProcess.StartAsync("docs-" + Guid.NewGuid().ToString("N")[..6], Ct,
            new Dictionary<string, string> { ["Mail__Webhooks__Deliver"] = "false" });
        using var client = host.Client();
        System.IO.Directory.CreateDirectory(Artifacts);
        var documentPath = Path.Combine(Artifacts, "openapi.json");
        await File.WriteAllTextAsync(documentPath, await client.GetStringAsync($"{Root}/openapi/v1.json", Ct), Ct);

        var lint = await RunAsync("npx", ["--no-install", "redocly", "lint", "--config", "redocly.yaml", documentPath]);
        await File.WriteAllTextAsync(Path.Combine(Artifacts, "openapi-lint.txt"), lint.Output, Ct);
        Assert.True(lint.ExitCode == 0, "redocly lint found errors:\n" + lint.Output);

        var login = await client.PostAsJsonAsync($"{Root}/auth/login/", new
        {
            username = StackSettings.Get("DEMO_SUPERADMIN_USER"),
            password = StackSettings.Get("DEMO_SUPERADMIN_PASSWORD"),
        }, Ct);
        var token = (await TestApi.ReadAsync(login, HttpStatusCode.OK)).GetProperty("token").GetString()!;
        var page = await RunAsync("node", ["docs-page-check.mjs", host.BaseAddress.ToString().TrimEnd('/'), token,
            Path.Combine(Artifacts, "docs-page.png")]);
        await File.WriteAllTextAsync(Path.Combine(Artifacts, "docs-page.txt"), page.Output, Ct);
        Assert.True(page.ExitCode == 0, "the docs page check failed:\n" + page.Output);
    }

    /// <summary>
    /// A TypeScript client as a team would generate it (openapi-typescript + openapi-fetch): tools/openapi/client/calls.ts
    /// holds one typed call per operation, with every parameter and body field and a typed read of every response
    /// field, written from the document by client-calls.mjs. Checked with `tsc --noEmit` against types generated from
    /// the document served now, so a path, parameter or field renamed or removed, or a type changed, fails here.
    /// UPDATE_GOLDEN=1 rewrites calls.ts from the current document (a deliberate contract change).
    /// </summary>
    [Fact]
    public async Task A_typescript_client_generated_from_the_document_type_checks_a_call_to_every_operation()
    {
        Assert.True(File.Exists(Path.Combine(Tools, "node_modules", ".package-lock.json")),
            $"run `npm ci` in {Tools} first (scripts/test.sh does)");
        var output = Path.Combine(Artifacts, "openapi-client");
        System.IO.Directory.CreateDirectory(output);
        var documentPath = Path.Combine(output, "openapi.json");
        using var http = Factory.CreateClient();
        var document = await http.GetStringAsync($"{Root}/openapi/v1.json", Ct);
        await File.WriteAllTextAsync(documentPath, document, Ct);
        var callsPath = Path.Combine(Tools, "client", "calls.ts");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            var written = await RunAsync("node", ["client-calls.mjs", documentPath, callsPath]);
            Assert.True(written.ExitCode == 0, written.Output);
        }

        var generated = await RunAsync("npx", ["--no-install", "openapi-typescript", documentPath, "-o", Path.Combine("client", "schema.d.ts")]);
        Assert.True(generated.ExitCode == 0, "openapi-typescript failed:\n" + generated.Output);
        var check = await RunAsync("npx", ["--no-install", "tsc", "--noEmit", "-p", "client"]);
        await File.WriteAllTextAsync(Path.Combine(output, "tsc.txt"), check.Output, Ct);
        Assert.True(check.ExitCode == 0,
            "The document no longer types the client's calls (tools/openapi/client/calls.ts); if the change is meant, run the tests with UPDATE_GOLDEN=1:\n" + check.Output);

        using var parsed = JsonDocument.Parse(document);
        var operations = parsed.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(m => m.Value.ValueKind == JsonValueKind.Object && m.Value.TryGetProperty("operationId", out _)))
            .Select(m => m.Value.GetProperty("operationId").GetString()!).Order(StringComparer.Ordinal).ToList();
        var called = (await File.ReadAllLinesAsync(callsPath, Ct)).Where(l => l.StartsWith("// operation: ", StringComparison.Ordinal))
            .Select(l => l["// operation: ".Length..]).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(operations);
        Assert.Equal(operations, called);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = Tools,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No update checks or telemetry: nothing leaves loopback.
        info.Environment["REDOCLY_TELEMETRY"] = "off";
        info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        info.Environment["NO_UPDATE_NOTIFIER"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish in 90 s:\n{await output}{await error}");
        }

        return (process.ExitCode, await output + await error);
    }
}

using Fayvad.ArchitectureTests.BadExamples;
using NetArchTest.Rules;

namespace Fayvad.ArchitectureTests;

public sealed class ModuleBoundaryTests
{
    public static TheoryData<string, string> ModulePairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var from in Modules.All)
        {
            foreach (var to in Modules.All.Where(m => m != from))
            {
                data.Add(from.Name, to.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModulePairs))]
    public void A_module_never_uses_another_modules_implementation(string from, string to)
    {
        var violations = Rules.NoDependencyOnImplementation(Types.InAssembly(Modules.Named(from).Implementation).ShouldNot(), Modules.Named(to));
        Assert.Empty(violations);
    }

    [Theory]
    [MemberData(nameof(ModulePairs))]
    public void Contracts_never_use_an_implementation(string from, string to)
    {
        Assert.Empty(Rules.NoDependencyOnImplementation(Types.InAssembly(Modules.Named(from).Contracts).ShouldNot(), Modules.Named(from)));
        Assert.Empty(Rules.NoDependencyOnImplementation(Types.InAssembly(Modules.Named(from).Contracts).ShouldNot(), Modules.Named(to)));
    }

    [Fact]
    public void The_rule_catches_a_type_that_reaches_into_another_module()
    {
        var violations = Rules.NoDependencyOnImplementation(
            Types.InAssembly(typeof(ReachesIntoDirectory).Assembly).That().HaveName(nameof(ReachesIntoDirectory)).ShouldNot(), Modules.Directory);
        Assert.Equal([typeof(ReachesIntoDirectory).FullName!], violations);
    }

    [Fact]
    public void Shared_references_no_module()
    {
        Assert.Empty(Rules.NoDependencyOnAnyModule(Types.InAssembly(Modules.Shared).ShouldNot()));
        Assert.DoesNotContain(Modules.Shared.GetReferencedAssemblies(), a => a.Name!.StartsWith("Fayvad.", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shared_rule_catches_a_type_that_knows_a_module()
    {
        var violations = Rules.NoDependencyOnAnyModule(Types.InAssembly(typeof(KnowsAModule).Assembly).That().HaveName(nameof(KnowsAModule)).ShouldNot());
        Assert.Equal([typeof(KnowsAModule).FullName!], violations);
    }

    [Theory]
    [InlineData("Identity")]
    [InlineData("Directory")]
    [InlineData("Mail")]
    [InlineData("Sync")]
    public void Project_files_reference_only_shared_and_contracts(string module)
    {
        var root = RepoRoot();
        foreach (var project in new[] { $"Fayvad.{module}", $"Fayvad.{module}.Contracts" })
        {
            var text = File.ReadAllText(Path.Combine(root, "src", "Modules", module, project, project + ".csproj"));
            Assert.Empty(Rules.ProjectReferencesAllowed(text, project));
        }
    }

    [Fact]
    public void The_project_rule_catches_a_reference_to_another_implementation()
    {
        const string bad = """
            <Project><ItemGroup>
              <ProjectReference Include="../../Directory/Fayvad.Directory.Contracts/Fayvad.Directory.Contracts.csproj" />
              <ProjectReference Include="..\..\Directory\Fayvad.Directory\Fayvad.Directory.csproj" />
            </ItemGroup></Project>
            """;
        Assert.Equal(["Fayvad.Mail -> Fayvad.Directory"], Rules.ProjectReferencesAllowed(bad, "Fayvad.Mail"));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fayvad.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fayvad.sln not found");
    }
}

public sealed class SliceTests
{
    [Fact]
    public void The_host_holds_no_feature_code()
    {
        Assert.Empty(Rules.NoFeatureCode(Modules.Host.GetTypes()));
    }

    [Fact]
    public void The_feature_rule_catches_endpoints_handlers_and_validators()
    {
        var caught = Rules.NoFeatureCode(typeof(LeakyHandler).Assembly.GetTypes());
        Assert.Equal(
            new[] { typeof(LeakyEndpoint), typeof(LeakyHandler), typeof(LeakyValidator) }.Select(t => t.FullName).Order(),
            caught.Order());
    }

    [Fact]
    public void Handlers_are_internal_to_their_module()
    {
        foreach (var module in Modules.All)
        {
            Assert.Empty(Rules.HandlersAreNotPublic(module.Implementation.GetTypes()));
            Assert.Empty(Rules.InternalsOpenOnlyToHostAndOwnTests(module.Implementation, module.Name));
        }
    }

    [Fact]
    public void The_handler_rule_catches_a_public_handler()
    {
        Assert.Equal([typeof(LeakyHandler).FullName!], Rules.HandlersAreNotPublic(typeof(LeakyHandler).Assembly.GetTypes()));
    }

    [Fact]
    public void Every_module_has_handlers_to_check()
    {
        // Guards the rules above from passing vacuously on an assembly that failed to load its slices.
        Assert.Contains(Modules.Identity.Implementation.GetTypes(), t => t.Name.EndsWith("Handler", StringComparison.Ordinal));
        Assert.Contains(Modules.Directory.Implementation.GetTypes(), t => t.Name.EndsWith("Handler", StringComparison.Ordinal));
        Assert.Contains(Modules.Mail.Implementation.GetTypes(), t => t.Name.EndsWith("Handler", StringComparison.Ordinal));
        Assert.Contains(Modules.Sync.Implementation.GetTypes(), t => t.Name.EndsWith("Handler", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Identity")]
    [InlineData("Directory")]
    [InlineData("Mail")]
    [InlineData("Sync")]
    public void A_slice_never_uses_another_slice(string module)
    {
        var breaches = Rules.SlicesStayApart(Modules.Named(module).Implementation);
        Assert.True(breaches.Count == 0, "Slices that use another slice:\n" + string.Join("\n", breaches));
    }

    [Fact]
    public void The_slice_rule_catches_a_slice_that_uses_another()
    {
        Assert.Equal(
            [$"Fayvad.ArchitectureTests.BadExamples.Features.Compose -> {typeof(BadExamples.Features.Compose.ReusesAnotherSlice).FullName}"],
            Rules.SlicesStayApart(typeof(BadExamples.Features.Compose.ReusesAnotherSlice).Assembly));
    }

    [Theory]
    [InlineData("Identity")]
    [InlineData("Directory")]
    [InlineData("Mail")]
    [InlineData("Sync")]
    public void A_slice_never_holds_a_mail_server_connection(string module)
    {
        var breaches = Rules.SlicesHoldNoConnection(Modules.Named(module).Implementation);
        Assert.True(breaches.Count == 0, "Slices that use an IMAP or SMTP connection directly:\n" + string.Join("\n", breaches));
    }

    [Fact]
    public void The_connection_rule_catches_a_slice_that_uses_an_imap_client()
    {
        Assert.Equal(
            [typeof(BadExamples.Features.Compose.OpensItsOwnConnection).FullName!],
            Rules.SlicesHoldNoConnection(typeof(BadExamples.Features.Compose.OpensItsOwnConnection).Assembly));
    }

    [Theory]
    [InlineData("Identity")]
    [InlineData("Directory")]
    [InlineData("Mail")]
    [InlineData("Sync")]
    public void A_slice_binds_its_query_parameters_instead_of_reading_the_query_string(string module)
    {
        var breaches = Rules.SlicesBindTheirQuery(Modules.Named(module).Implementation);
        Assert.True(breaches.Count == 0, "Slices that read the query string by hand:\n" + string.Join("\n", breaches));
    }

    [Fact]
    public void The_query_rule_catches_a_slice_that_reads_the_query_string()
    {
        Assert.Equal(
            [typeof(BadExamples.Features.Compose.ReadsTheQueryByHand).FullName!],
            Rules.SlicesBindTheirQuery(typeof(BadExamples.Features.Compose.ReadsTheQueryByHand).Assembly));
    }
}

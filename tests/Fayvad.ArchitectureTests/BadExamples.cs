using Carter;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Routing;

// Deliberately bad code: each type breaks one rule, so the tests can show that the rule catches it.
// Nothing here is registered or called.
namespace Fayvad.ArchitectureTests.BadExamples;

/// <summary>Breaks "no module uses another module's implementation": reaches into the Directory module.</summary>
public static class ReachesIntoDirectory
{
    public static Type Target => typeof(Fayvad.Directory.DirectoryModule);
}

/// <summary>Breaks "Shared knows no module".</summary>
public interface KnowsAModule
{
    Fayvad.Identity.Contracts.ICurrentUser User { get; }
}

/// <summary>Breaks "the Host holds no feature code" and "handlers are not public".</summary>
public sealed record LeakyCommand : ICommand<int>;

public sealed class LeakyHandler : ICommandHandler<LeakyCommand, int>
{
    public ValueTask<int> Handle(LeakyCommand command, CancellationToken cancellationToken) => ValueTask.FromResult(1);
}

public sealed class LeakyValidator : AbstractValidator<LeakyCommand>;

public sealed class LeakyEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
    }
}

using System.Reflection;
using System.Xml.Linq;
using Carter;
using FluentValidation;
using Mediator;
using Microsoft.EntityFrameworkCore;
using NetArchTest.Rules;

namespace Fayvad.ArchitectureTests;

/// <summary>
/// Each rule returns the names of the types (or references) that break it. The tests apply every rule to the real
/// code, expecting none, and to deliberately bad examples, expecting them to be caught.
/// </summary>
public static class Rules
{
    private static readonly Type[] HandlerInterfaces =
    [
        typeof(IRequestHandler<,>), typeof(ICommandHandler<,>), typeof(IQueryHandler<,>), typeof(INotificationHandler<>),
    ];

    /// <summary>No type selected may use a type of <paramref name="forbidden"/>'s implementation.</summary>
    public static IReadOnlyList<string> NoDependencyOnImplementation(Conditions typesShouldNot, Module forbidden) =>
        Failing(typesShouldNot.HaveDependencyOnAny(forbidden.ImplementationTypeNames).GetResult());

    /// <summary>Shared knows no module: neither implementations nor contracts.</summary>
    public static IReadOnlyList<string> NoDependencyOnAnyModule(Conditions typesShouldNot) =>
        Failing(typesShouldNot.HaveDependencyOnAny(Modules.All.SelectMany(m => new[]
            { m.Implementation.GetName().Name!, m.Contracts.GetName().Name! }).ToArray()).GetResult());

    /// <summary>Feature code: endpoints, handlers, validators, DbContexts. The Host holds none.</summary>
    public static IReadOnlyList<string> NoFeatureCode(IEnumerable<Type> types) =>
        types.Where(t => t.IsClass && !t.IsAbstract && (
                typeof(ICarterModule).IsAssignableFrom(t)
                || typeof(IValidator).IsAssignableFrom(t)
                || typeof(DbContext).IsAssignableFrom(t)
                || ImplementsHandler(t)))
            .Select(t => t.FullName!)
            .ToList();

    /// <summary>Handlers are internal, so no other module can resolve or call a slice directly.</summary>
    public static IReadOnlyList<string> HandlersAreNotPublic(IEnumerable<Type> types) =>
        types.Where(t => ImplementsHandler(t) && (t.IsPublic || t.IsNestedPublic)).Select(t => t.FullName!).ToList();

    /// <summary>Internals are opened only to the Host (which wires the mediator) and the module's own tests.</summary>
    public static IReadOnlyList<string> InternalsOpenOnlyToHostAndOwnTests(Assembly assembly, string moduleName) =>
        assembly.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .Where(name => name != "Fayvad.Host" && name != $"Fayvad.{moduleName}.Tests")
            .ToList();

    /// <summary>
    /// A module project may reference Shared, its own Contracts and other modules' Contracts; a Contracts project
    /// only Shared and other Contracts. Read from the project file, so an unused reference is caught too.
    /// </summary>
    public static IReadOnlyList<string> ProjectReferencesAllowed(string projectFileText, string moduleName)
    {
        var references = XDocument.Parse(projectFileText).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
        return references
            .Where(r => r != "Fayvad.Shared" && !r.EndsWith(".Contracts", StringComparison.Ordinal))
            .Select(r => $"{moduleName} -> {r}")
            .ToList();
    }

    private static bool ImplementsHandler(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && HandlerInterfaces.Contains(i.GetGenericTypeDefinition()));

    private static List<string> Failing(NetArchTest.Rules.TestResult result) => result.IsSuccessful ? [] : result.FailingTypeNames.ToList();
}

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
                || (typeof(IValidator).IsAssignableFrom(t) && !IsOptionsValidator(t))
                || typeof(DbContext).IsAssignableFrom(t)
                || ImplementsHandler(t)))
            .Select(t => t.FullName!)
            .ToList();

    /// <summary>A configuration section's check (Shared/Options) is composition, not a feature: the Host may hold one.</summary>
    private static bool IsOptionsValidator(Type t)
    {
        for (var type = t.BaseType; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Fayvad.Shared.Options.OptionsValidator<>))
            {
                return true;
            }
        }

        return false;
    }

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

    /// <summary>
    /// A slice (a namespace <c>….Features.X</c>) never uses another slice's code: what two slices share lives in a
    /// named place of the module outside <c>Features</c>; one slice may only send another's messages through the
    /// mediator. Answers "slice -> its type that breaks this" for each breach.
    /// </summary>
    public static IReadOnlyList<string> SlicesStayApart(Assembly assembly)
    {
        // Full type names, not namespaces: NetArchTest matches names by prefix, and "Features.GetMessage" is a prefix
        // of "Features.GetMessages".
        var slices = assembly.GetTypes()
            .Where(t => !t.FullName!.Contains('<', StringComparison.Ordinal) && SliceOf(t.Namespace) is not null)
            .GroupBy(t => SliceOf(t.Namespace)!)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        var breaches = new List<string>();
        foreach (var slice in slices)
        {
            var others = slices.Where(s => s.Key != slice.Key).SelectMany(s => s.Except(Messages(s)).Select(t => t.FullName!)).ToArray();
            var result = Types.InAssembly(assembly)
                .That().ResideInNamespaceMatching($"^{System.Text.RegularExpressions.Regex.Escape(slice.Key)}(\\..*)?$")
                .ShouldNot().HaveDependencyOnAny(others).GetResult();
            breaches.AddRange(Failing(result).Select(type => $"{slice.Key} -> {type}"));
        }

        return breaches;
    }

    /// <summary>The protocol connections only a module's plumbing holds; a slice works through its session.</summary>
    public static readonly string[] ProtocolClients = ["MailKit.Net.Imap.ImapClient", "MailKit.Net.Smtp.SmtpClient", "MailKit.Net.Pop3.Pop3Client"];

    /// <summary>
    /// No slice touches a mail server connection: IMAP goes through the mailbox session the pool lends, SMTP through
    /// the outbox, so a handler is testable with a fake session and the pool stays the one owner of a connection.
    /// </summary>
    public static IReadOnlyList<string> SlicesHoldNoConnection(Assembly assembly) =>
        Failing(Types.InAssembly(assembly).That().ResideInNamespaceMatching(@"\.Features(\..*)?$")
            .ShouldNot().HaveDependencyOnAny(ProtocolClients).GetResult());

    /// <summary>
    /// No slice reads the query string by hand: its parameters are bound from their types (<c>[AsParameters]</c>
    /// records, the lenient <c>WholeNumber</c> and <c>QueryFlag</c>), so the OpenAPI document describes what is read.
    /// </summary>
    public static IReadOnlyList<string> SlicesBindTheirQuery(Assembly assembly) =>
        Failing(Types.InAssembly(assembly).That().ResideInNamespaceMatching(@"\.Features(\..*)?$")
            .ShouldNot().HaveDependencyOn("Microsoft.AspNetCore.Http.IQueryCollection").GetResult());

    /// <summary>
    /// What a slice may take from another: the messages it sends through the mediator (a command or query, and the
    /// slice's own records that message carries), never its handler, validator, endpoint or helpers.
    /// </summary>
    private static HashSet<Type> Messages(IEnumerable<Type> slice)
    {
        var types = slice.ToHashSet();
        var messages = types.Where(t => typeof(IMessage).IsAssignableFrom(t)).ToHashSet();
        foreach (var message in messages.ToList())
        {
            messages.UnionWith(message.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.ParameterType).Where(types.Contains));
        }

        return messages;
    }

    /// <summary>"A.B.Features.X" for any namespace at or under it; null outside Features.</summary>
    private static string? SliceOf(string? ns)
    {
        var at = ns?.IndexOf(".Features.", StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return null;
        }

        var end = ns!.IndexOf('.', at + ".Features.".Length);
        return end < 0 ? ns : ns[..end];
    }

    private static bool ImplementsHandler(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && HandlerInterfaces.Contains(i.GetGenericTypeDefinition()));

    private static List<string> Failing(NetArchTest.Rules.TestResult result) => result.IsSuccessful ? [] : result.FailingTypeNames.ToList();
}

using System.Reflection;
using Fayvad.Directory;
using Fayvad.Directory.Contracts;
using Fayvad.Identity;
using Fayvad.Identity.Contracts;
using Fayvad.Mail;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Results;
using Fayvad.Sync;
using Fayvad.Sync.Contracts;

namespace Fayvad.ArchitectureTests;

public sealed record Module(string Name, Assembly Implementation, Assembly Contracts)
{
    /// <summary>Full names of every type the implementation declares: what no other module may touch.</summary>
    public string[] ImplementationTypeNames =>
        // Compiler-generated types (and types nested in them, e.g. <PrivateImplementationDetails>+__StaticArrayInitTypeSize=16,
        // which every assembly may carry under the same name) belong to no module.
        Implementation.GetTypes().Where(t => !t.FullName!.Contains('<', StringComparison.Ordinal)).Select(t => t.FullName!).ToArray();

    public override string ToString() => Name;
}

public static class Modules
{
    public static readonly Module Identity = new("Identity", typeof(IdentityModule).Assembly, typeof(ICurrentUser).Assembly);
    public static readonly Module Directory = new("Directory", typeof(DirectoryModule).Assembly, typeof(IDirectoryAuthentication).Assembly);
    public static readonly Module Mail = new("Mail", typeof(MailModule).Assembly, typeof(MailModuleInfo).Assembly);
    public static readonly Module Sync = new("Sync", typeof(SyncModule).Assembly, typeof(SyncModuleInfo).Assembly);

    public static readonly Module[] All = [Identity, Directory, Mail, Sync];

    public static readonly Assembly Shared = typeof(Error).Assembly;
    public static readonly Assembly Host = typeof(Program).Assembly;

    public static Module Named(string name) => All.Single(m => m.Name == name);
}

using Fayvad.Shared.Modules;

namespace Fayvad.Host;

internal static class ModuleInitialization
{
    /// <summary>Runs each module's initializers (migrations first, then seeds) in registration order.</summary>
    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        foreach (var initializer in scope.ServiceProvider.GetServices<IModuleInitializer>())
        {
            await initializer.InitializeAsync(cancellationToken);
        }
    }
}

namespace Fayvad.Shared.Modules;

/// <summary>Start-up work a module owns (migrations, demo data); the Host runs them in registration order.</summary>
public interface IModuleInitializer
{
    Task InitializeAsync(CancellationToken cancellationToken);
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Push;

/// <summary>Starts the background parts of the configured push mode only (Mail:Push:Mode), and stops them in reverse.</summary>
internal sealed class PushModeHost(IServiceProvider services) : IHostedService
{
    private IHostedService[] _started = [];

    public static PushMode Mode(IServiceProvider services) => services.GetRequiredService<IOptions<MailOptions>>().Value.Push.Mode;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _started = Mode(services) == PushMode.Hints
            ? [services.GetRequiredService<HintWatchRegistry>(), services.GetRequiredService<HintListener>()]
            : [services.GetRequiredService<WatcherRegistry>()];
        foreach (var part in _started)
        {
            await part.StartAsync(cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var part in _started.Reverse())
        {
            await part.StopAsync(cancellationToken);
        }
    }
}

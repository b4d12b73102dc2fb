using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Mail;

/// <summary>Registers the Mail module. Its features (folders, messages, send, actions, search) come with the mail issue.</summary>
public static class MailModule
{
    public static IServiceCollection AddMailModule(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}

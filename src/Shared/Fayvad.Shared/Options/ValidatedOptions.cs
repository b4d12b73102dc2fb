using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fayvad.Shared.Options;

public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and checks it with
    /// <typeparamref name="TValidator"/> when the host starts, so a wrong setting stops the service naming the setting
    /// (and its environment form) instead of surfacing later as a 503.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : IValidator<TOptions>, new()
    {
        services.AddSingleton<IValidateOptions<TOptions>>(new FluentOptionsValidator<TOptions>(new TValidator(), section));
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }

    private sealed class FluentOptionsValidator<TOptions>(IValidator<TOptions> validator, string section) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var result = validator.Validate(options);
            if (result.IsValid)
            {
                return ValidateOptionsResult.Success;
            }

            return ValidateOptionsResult.Fail(result.Errors.Select(e =>
            {
                // A rule over the whole section names its settings itself.
                if (e.PropertyName.Length == 0)
                {
                    return e.ErrorMessage;
                }

                var setting = section + ":" + e.PropertyName.Replace('.', ':').Split('[')[0];
                return $"{setting} {Lower(e.ErrorMessage)} (environment: {setting.Replace(":", "__", StringComparison.Ordinal)}).";
            }));
        }

        /// <summary>FluentValidation's messages start with the property's name in quotes; the setting's name replaces it.</summary>
        private static string Lower(string message) =>
            message.StartsWith('\'') && message.IndexOf('\'', 1) is var end and > 0 ? message[(end + 1)..].Trim() : message;
    }
}

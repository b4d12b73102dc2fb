using System.Reflection;
using FluentValidation;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Shared.Validation;

public static class MessageValidators
{
    /// <summary>
    /// Registers the validators of an assembly's commands and queries, which <see cref="ValidationBehavior{TMessage,TResponse}"/>
    /// runs before their handlers. Validators of anything else (options, rules a validator includes) stay out of the
    /// container: nothing resolves them there, and options are checked by their own validator at start.
    /// </summary>
    public static IServiceCollection AddMessageValidators(this IServiceCollection services, Assembly assembly) =>
        services.AddValidatorsFromAssembly(assembly, includeInternalTypes: true,
            filter: scan => !scan.ValidatorType.IsGenericTypeDefinition
                && scan.InterfaceType.GetGenericArguments()[0].IsAssignableTo(typeof(IMessage)));
}

using FluentValidation;
using Fayvad.Shared.Validation;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Shared.Tests;

public sealed class MessageValidatorsTests
{
    [Fact]
    public void Only_validators_of_commands_and_queries_are_registered()
    {
        using var provider = new ServiceCollection().AddMessageValidators(typeof(MessageValidatorsTests).Assembly).BuildServiceProvider();

        Assert.IsType<RenameValidator>(Assert.Single(provider.GetServices<IValidator<Rename>>()));
        Assert.Empty(provider.GetServices<IValidator<SomeOptions>>());
    }

    internal sealed record Rename(string Name) : ICommand<bool>;

    internal sealed class RenameValidator : AbstractValidator<Rename>
    {
        public RenameValidator() => RuleFor(r => r.Name).NotEmpty();
    }

    internal sealed class SomeOptions
    {
        public int Port { get; set; }
    }

    internal sealed class SomeOptionsValidator : AbstractValidator<SomeOptions>
    {
        public SomeOptionsValidator() => RuleFor(o => o.Port).GreaterThan(0);
    }
}

using System.Net.Mail;
using Carter;
using FluentValidation;
using Fayvad.Shared.Validation;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Identity.Features.UpdateMe;

/// <summary>The caller changes their own profile; null leaves a field as it is.</summary>
internal sealed record UpdateMeCommand(
    string? FirstName,
    string? LastName,
    string? Email,
    string? PhoneNumber,
    string? SecondaryEmail,
    bool? TfaEnabled,
    string? Language) : ICommand<Result<UserProfile>>;

internal sealed class UpdateMeValidator : AbstractValidator<UpdateMeCommand>
{
    public UpdateMeValidator()
    {
        RuleFor(c => c.FirstName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.LastName).MaximumLength(ProfileRules.NameMaxLength).SingleLine();
        RuleFor(c => c.Email).Must(IsAddress!).When(c => c.Email is not null).WithMessage("email must be a valid email address.");
        RuleFor(c => c.PhoneNumber).Matches(ProfileRules.PhoneNumberPattern).When(c => !string.IsNullOrEmpty(c.PhoneNumber))
            .WithMessage("phone_number must be digits with optional + ( ) . / - and spaces, at most 32 characters.");
        RuleFor(c => c.SecondaryEmail).Must(IsAddress!).When(c => !string.IsNullOrEmpty(c.SecondaryEmail))
            .WithMessage("secondary_email must be a valid email address (or \"\" to clear it).");
        RuleFor(c => c.Language).NotEmpty().Matches(ProfileRules.LanguagePattern).When(c => c.Language is not null)
            .WithMessage("language must be a language code such as en, sw or pt-br.");
    }

    // The Directory re-checks the address rules it owns (a mailbox user's email is its address).
    private static bool IsAddress(string value) =>
        value.Length <= 254 && value.Contains('@', StringComparison.Ordinal) && MailAddress.TryCreate(value.Trim(), out var parsed)
        && parsed.Address == value.Trim();
}

internal sealed class UpdateMeHandler(ICurrentUser caller, IDirectoryProfiles profiles) : ICommandHandler<UpdateMeCommand, Result<UserProfile>>
{
    public async ValueTask<Result<UserProfile>> Handle(UpdateMeCommand command, CancellationToken cancellationToken) =>
        await profiles.UpdateProfileAsync(caller.UserId, new ProfileChanges(
            command.FirstName, command.LastName, command.Email, command.PhoneNumber, command.SecondaryEmail, command.Language,
            command.TfaEnabled), cancellationToken);
}

public sealed class UpdateMeEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        // The client server's path, and the one its documentation gives.
        app.MapPatch(ApiRoutes.Root + "/auth/me/update", HandleAsync).RequireAuthorization().WithTags("Identity").WithName("UpdateMe").Returns<UserProfile>().Fails(403, 409);
        app.MapPatch(ApiRoutes.Root + "/auth/me", HandleAsync).RequireAuthorization().WithTags("Identity").WithName("PatchMe").Returns<UserProfile>().Fails(403, 409);
    }

    private static async Task<IResult> HandleAsync(UpdateMeCommand command, ISender sender, CancellationToken ct) =>
        (await sender.Send(command, ct)).ToOk();
}

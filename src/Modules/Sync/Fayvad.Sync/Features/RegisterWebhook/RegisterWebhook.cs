using Carter;
using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Shared.Validation;
using Fayvad.Sync.Data;
using Fayvad.Sync.Watch;
using Fayvad.Sync.Webhooks;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Sync.Features.RegisterWebhook;

/// <summary><paramref name="OrganizationId"/>: a superadmin's choice; an org admin's own organization otherwise.</summary>
internal sealed record RegisterWebhookCommand(string? Url, IReadOnlyList<string>? Events, string? Secret, long? OrganizationId)
    : ICommand<Result<WebhookDto>>;

/// <summary>A webhook as the API shows it; the secret is never shown again.</summary>
internal sealed record WebhookDto(long Id, long OrganizationId, string Url, IReadOnlyList<string> Events, bool Active, DateTimeOffset CreatedAt)
{
    public static WebhookDto From(Webhook w) => new(w.Id, w.OrganizationId, w.Url, w.Events, w.Active, w.CreatedAt);
}

internal sealed class RegisterWebhookValidator : AbstractValidator<RegisterWebhookCommand>
{
    public RegisterWebhookValidator()
    {
        RuleFor(c => c.Url).NotEmpty().MaximumLength(2000)
            .Must(u => u!.All(ch => !char.IsControl(ch) && !char.IsWhiteSpace(ch))
                && Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.UserInfo))
            .When(c => !string.IsNullOrEmpty(c.Url), ApplyConditionTo.CurrentValidator)
            .WithMessage("url must be an absolute http(s) URL without credentials, spaces or line breaks.");
        RuleFor(c => c.Events).NotEmpty().WithMessage("events must list at least one event type, or \"*\".");
        RuleForEach(c => c.Events).Must(e => e == "*" || MailEventTypes.All.Contains(e))
            .WithMessage(c => $"events may hold only \"*\" and: {string.Join(", ", MailEventTypes.All.Order(StringComparer.Ordinal))}.");
        RuleFor(c => c.Secret).SingleLine();
        RuleFor(c => c.Secret).NotEmpty().Length(16, 200)
            .WithMessage("secret must be 16 to 200 characters (use a random string; it signs every delivery).");
    }
}

internal sealed class RegisterWebhookHandler(
    SyncDbContext db, ICurrentUser caller, IDirectoryMailboxes directory, WebhookInterest interest, WebhookTargets targets)
    : ICommandHandler<RegisterWebhookCommand, Result<WebhookDto>>
{
    public async ValueTask<Result<WebhookDto>> Handle(RegisterWebhookCommand command, CancellationToken cancellationToken)
    {
        var scope = WebhookScope.Resolve(caller, command.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        if (scope.Value is not { } organizationId)
        {
            return Error.Validation("organization_id", "organization_id is required.");
        }

        if (!await directory.OrganizationExistsAsync(organizationId, cancellationToken))
        {
            return Error.NotFound("Organization not found.");
        }

        if (await targets.CheckAsync(new Uri(command.Url!), cancellationToken) is { } refused)
        {
            return Error.Validation("url", refused);
        }

        var webhook = new Webhook
        {
            OrganizationId = organizationId,
            Url = command.Url!,
            Events = command.Events!.Distinct(StringComparer.Ordinal).ToList(),
            Secret = command.Secret!,
            CreatedBy = caller.UserId,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(cancellationToken);
        // Start watching the organization's mailboxes now rather than at the next refresh.
        interest.RefreshSoon();
        return WebhookDto.From(webhook);
    }
}

public sealed class RegisterWebhookEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/webhooks", async Task<IResult> (RegisterWebhookCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToHttp(w => Results.Created($"{ApiRoutes.Root}/webhooks/{w.Id}/", w)))
            .RequireAdmin().WithTags("Webhooks").WithName("RegisterWebhook").Returns<WebhookDto>(StatusCodes.Status201Created).Fails(403, 404);
    }
}

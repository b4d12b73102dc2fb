using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Sync.Data;
using Fayvad.Sync.Watch;
using Fayvad.Sync.Webhooks;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Sync.Features.ListWebhooks;

internal sealed record ListWebhooksQuery(long? OrganizationId) : IQuery<Result<ListWebhooksResponse>>;

internal sealed record DeliverySummary(int Pending, int Delivered, int Failed, DateTimeOffset? LastAttemptAt, int? LastStatusCode);

internal sealed record WebhookWithStatus(
    long Id, long OrganizationId, string Url, IReadOnlyList<string> Events, bool Active, DateTimeOffset CreatedAt, DeliverySummary Deliveries);

internal sealed record ListWebhooksResponse(IReadOnlyList<WebhookWithStatus> Webhooks);

internal sealed class ListWebhooksValidator : AbstractValidator<ListWebhooksQuery>
{
    public ListWebhooksValidator() =>
        RuleFor(q => q.OrganizationId).GreaterThan(0).When(q => q.OrganizationId is not null)
            .WithMessage("organization must be an organization id.");
}

internal sealed class ListWebhooksHandler(SyncDbContext db, ICurrentUser caller) : IQueryHandler<ListWebhooksQuery, Result<ListWebhooksResponse>>
{
    public async ValueTask<Result<ListWebhooksResponse>> Handle(ListWebhooksQuery query, CancellationToken cancellationToken)
    {
        var scope = WebhookScope.Resolve(caller, query.OrganizationId);
        if (!scope.IsSuccess)
        {
            return scope.Error;
        }

        var webhooks = db.Webhooks.AsNoTracking();
        if (scope.Value is { } organizationId)
        {
            webhooks = webhooks.Where(w => w.OrganizationId == organizationId);
        }

        var rows = await webhooks.OrderBy(w => w.Id)
            .Select(w => new
            {
                Webhook = w,
                Pending = db.WebhookDeliveries.Count(d => d.WebhookId == w.Id && d.Status == DeliveryStatus.Pending),
                Delivered = db.WebhookDeliveries.Count(d => d.WebhookId == w.Id && d.Status == DeliveryStatus.Delivered),
                Failed = db.WebhookDeliveries.Count(d => d.WebhookId == w.Id && d.Status == DeliveryStatus.Failed),
                Last = db.WebhookDeliveries.Where(d => d.WebhookId == w.Id && d.LastAttemptAt != null)
                    .OrderByDescending(d => d.LastAttemptAt).Select(d => new { d.LastAttemptAt, d.LastStatusCode }).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return new ListWebhooksResponse(rows.Select(r => new WebhookWithStatus(
            r.Webhook.Id, r.Webhook.OrganizationId, r.Webhook.Url, r.Webhook.Events, r.Webhook.Active, r.Webhook.CreatedAt,
            new DeliverySummary(r.Pending, r.Delivered, r.Failed, r.Last?.LastAttemptAt, r.Last?.LastStatusCode))).ToList());
    }
}

public sealed class ListWebhooksEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/webhooks", async (
                [FromQuery(Name = "organization"), Description("Only this organization's webhooks (superadmin)."), Minimum(1)] WholeNumber? organization,
                ISender sender, CancellationToken ct) =>
            (await sender.Send(new ListWebhooksQuery(organization.AsLong()), ct)).ToOk())
            .RequireAdmin().WithTags("Webhooks").WithName("ListWebhooks").Returns<ListWebhooksResponse>().Fails(403);
    }
}

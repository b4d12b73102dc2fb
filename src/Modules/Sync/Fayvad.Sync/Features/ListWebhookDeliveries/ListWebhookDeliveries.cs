using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
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

namespace Fayvad.Sync.Features.ListWebhookDeliveries;

internal sealed record ListWebhookDeliveriesQuery(long WebhookId, string? Status, int Page, int Limit)
    : IQuery<Result<ListWebhookDeliveriesResponse>>, IPagedRequest;

internal sealed record DeliveryDto(
    long Id, string EventId, string EventType, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt);

internal sealed record ListWebhookDeliveriesResponse(IReadOnlyList<DeliveryDto> Deliveries, int Total, int Page, int Limit, bool HasNext, bool HasPrev);

internal sealed class ListWebhookDeliveriesValidator : AbstractValidator<ListWebhookDeliveriesQuery>
{
    public ListWebhookDeliveriesValidator()
    {
        Include(new PagingRules<ListWebhookDeliveriesQuery>());
        RuleFor(q => q.Status).Must(s => s is null or DeliveryStatus.Pending or DeliveryStatus.Delivered or DeliveryStatus.Failed)
            .WithMessage("status must be pending, delivered or failed.");
    }
}

internal sealed class ListWebhookDeliveriesHandler(SyncDbContext db, ICurrentUser caller)
    : IQueryHandler<ListWebhookDeliveriesQuery, Result<ListWebhookDeliveriesResponse>>
{
    public async ValueTask<Result<ListWebhookDeliveriesResponse>> Handle(ListWebhookDeliveriesQuery query, CancellationToken cancellationToken)
    {
        var access = WebhookScope.Resolve(caller, null);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var webhook = await db.Webhooks.AsNoTracking().SingleOrDefaultAsync(w => w.Id == query.WebhookId, cancellationToken);
        // Another organization's webhook is as absent as a missing one.
        if (webhook is null || !WebhookScope.Resolve(caller, webhook.OrganizationId).IsSuccess)
        {
            return Error.NotFound("Webhook not found.");
        }

        var deliveries = db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == webhook.Id);
        if (query.Status is { } status)
        {
            deliveries = deliveries.Where(d => d.Status == status);
        }

        var total = await deliveries.CountAsync(cancellationToken);
        var items = await deliveries.OrderByDescending(d => d.Id).Skip(query.Skip()).Take(query.Limit)
            .Select(d => new DeliveryDto(d.Id, d.EventId, d.EventType, d.Status, d.Attempts, d.LastStatusCode, d.LastError,
                d.LastAttemptAt, d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, d.CreatedAt, d.DeliveredAt))
            .ToListAsync(cancellationToken);
        var page = new Page<DeliveryDto>(items, total, query.Page, query.Limit);
        return new ListWebhookDeliveriesResponse(items, page.Total, page.PageNumber, page.Limit, page.HasNext, page.HasPrev);
    }
}

internal sealed class ListWebhookDeliveriesParameters : PageParameters
{
    [FromQuery(Name = "status"), Description("Only deliveries in this state."),
     System.ComponentModel.DataAnnotations.AllowedValues(DeliveryStatus.Pending, DeliveryStatus.Delivered, DeliveryStatus.Failed)]
    public string? Status { get; init; }
}

public sealed class ListWebhookDeliveriesEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Root + "/webhooks/{id:long}/deliveries", async (long id, [AsParameters] ListWebhookDeliveriesParameters parameters, ISender sender, CancellationToken ct) =>
            (await sender.Send(new ListWebhookDeliveriesQuery(id, parameters.Status.Trimmed(), parameters.PageOrFirst(), parameters.LimitOrDefault()), ct)).ToOk()).RequireAdmin().WithTags("Webhooks").WithName("ListWebhookDeliveries").Returns<ListWebhookDeliveriesResponse>().Fails(403);
    }
}

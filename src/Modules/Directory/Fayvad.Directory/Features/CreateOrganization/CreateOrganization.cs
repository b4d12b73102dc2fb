using System.Text.RegularExpressions;
using Carter;
using FluentValidation;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Features.CreateOrganization;

internal sealed record CreateOrganizationCommand(string? Name, string? Slug, int? MaxAccounts, int? TotalQuotaMb)
    : ICommand<Result<OrganizationDto>>;

internal sealed partial class CreateOrganizationValidator : AbstractValidator<CreateOrganizationCommand>
{
    public CreateOrganizationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().MaximumLength(200);
        RuleFor(c => c.Slug).Must(s => SlugPattern().IsMatch(s!)).When(c => c.Slug is not null)
            .WithMessage("slug must be lower-case letters, digits and hyphens (at most 63).");
        RuleFor(c => c.MaxAccounts).GreaterThanOrEqualTo(0);
        RuleFor(c => c.TotalQuotaMb).GreaterThanOrEqualTo(0);
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    internal static partial Regex SlugPattern();
}

internal sealed partial class CreateOrganizationHandler(DirectoryDbContext db, ICurrentUser caller, TimeProvider clock)
    : ICommandHandler<CreateOrganizationCommand, Result<OrganizationDto>>
{
    public async ValueTask<Result<OrganizationDto>> Handle(CreateOrganizationCommand command, CancellationToken cancellationToken)
    {
        if (!caller.IsSuperadmin())
        {
            return Error.Forbidden("Only a superadmin can create organizations.");
        }

        var name = command.Name!.Trim();
        var slug = command.Slug ?? Slugify(name);
        if (!CreateOrganizationValidator.SlugPattern().IsMatch(slug))
        {
            return Error.Validation("slug", "slug could not be made from the name; give one.");
        }

        if (await db.Organizations.AnyAsync(o => o.Slug == slug || o.Name == name, cancellationToken))
        {
            return Error.Conflict($"An organization named '{name}' or with slug '{slug}' already exists.");
        }

        var organization = new Organization
        {
            Name = name,
            Slug = slug,
            MaxAccounts = command.MaxAccounts ?? 0,
            TotalQuotaMb = command.TotalQuotaMb ?? 0,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Organizations.Add(organization);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"An organization named '{name}' or with slug '{slug}' already exists.");
        }

        return await db.Organizations.Where(o => o.Id == organization.Id).SelectDto(db).SingleAsync(cancellationToken);
    }

    private static string Slugify(string name)
    {
        var slug = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > 63 ? slug[..63].TrimEnd('-') : slug;
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}

public sealed class CreateOrganizationEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Root + "/admin/organizations", async (CreateOrganizationCommand command, ISender sender, CancellationToken ct) =>
            (await sender.Send(command, ct)).ToHttp(o => Results.Created($"{ApiRoutes.Root}/admin/organizations/{o.Id}/", o)))
            .RequireAuthorization().WithTags("Directory").WithName("CreateOrganization");
    }
}

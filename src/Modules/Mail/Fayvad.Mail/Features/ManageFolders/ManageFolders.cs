using Carter;
using FluentValidation;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Features.ListFolders;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.ManageFolders;

internal sealed record CreateFolderCommand(string? Name, string? Parent) : ICommand<Result<FolderDto>>;

internal sealed record RenameFolderCommand(string? Folder, string? Name) : ICommand<Result<FolderDto>>;

internal sealed record DeleteFolderCommand(string? Folder) : ICommand<Result<bool>>;

internal static class FolderNameRules
{
    /// <summary>One level of a path: no hierarchy separator, no LIST wildcards, no control characters.</summary>
    public static IRuleBuilderOptions<T, string?> FolderName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(200)
            .Must(n => n is null || (n.Trim() == n && n.IndexOfAny(['/', '*', '%', '\r', '\n', '\0']) < 0 && !n.StartsWith('.')))
            .WithMessage("name must not contain '/', '*', '%' or line breaks, start with '.', or have surrounding spaces.");
}

internal sealed class CreateFolderValidator : AbstractValidator<CreateFolderCommand>
{
    public CreateFolderValidator() => RuleFor(c => c.Name).FolderName();
}

internal sealed class RenameFolderValidator : AbstractValidator<RenameFolderCommand>
{
    public RenameFolderValidator()
    {
        RuleFor(c => c.Folder).NotEmpty();
        RuleFor(c => c.Name).FolderName();
    }
}

internal sealed class DeleteFolderValidator : AbstractValidator<DeleteFolderCommand>
{
    public DeleteFolderValidator() => RuleFor(c => c.Folder).NotEmpty();
}

internal sealed class ManageFoldersHandler(ICurrentUser caller, IImapSessions sessions)
    : ICommandHandler<CreateFolderCommand, Result<FolderDto>>,
      ICommandHandler<RenameFolderCommand, Result<FolderDto>>,
      ICommandHandler<DeleteFolderCommand, Result<bool>>
{
    public async ValueTask<Result<FolderDto>> Handle(CreateFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<FolderDto>(caller, async (client, ct) =>
        {
            var parent = command.Parent is { Length: > 0 } parentPath
                ? await Folders.FindAsync(client, parentPath, ct)
                : client.GetFolder(client.PersonalNamespaces[0]);
            if (parent is null)
            {
                return Error.NotFound($"Folder '{command.Parent}' not found.");
            }

            var path = string.IsNullOrEmpty(parent.FullName) ? command.Name! : parent.FullName + parent.DirectorySeparator + command.Name;
            if (await Folders.FindExactAsync(client, path, ct) is not null)
            {
                return Error.Conflict($"Folder '{path}' already exists.");
            }

            var created = await parent.CreateAsync(command.Name!, true, ct);
            if (created is null)
            {
                return Error.Conflict($"Folder '{path}' could not be created.");
            }

            await created.SubscribeAsync(ct);
            return ToDto(created);
        }, cancellationToken);

    public async ValueTask<Result<FolderDto>> Handle(RenameFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<FolderDto>(caller, async (client, ct) =>
        {
            var folder = await Folders.FindAsync(client, command.Folder!, ct);
            if (folder is null)
            {
                return Error.NotFound($"Folder '{command.Folder}' not found.");
            }

            if (Folders.RoleOf(folder) is { } role)
            {
                return Error.Validation("folder", $"The {role} folder cannot be renamed.");
            }

            var parent = folder.ParentFolder ?? client.GetFolder(client.PersonalNamespaces[0]);
            var target = string.IsNullOrEmpty(parent.FullName) ? command.Name! : parent.FullName + parent.DirectorySeparator + command.Name;
            if (await Folders.FindExactAsync(client, target, ct) is not null)
            {
                return Error.Conflict($"Folder '{target}' already exists.");
            }

            await folder.RenameAsync(parent, command.Name!, ct);
            return ToDto(folder);
        }, cancellationToken);

    public async ValueTask<Result<bool>> Handle(DeleteFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<bool>(caller, async (client, ct) =>
        {
            var folder = await Folders.FindAsync(client, command.Folder!, ct);
            if (folder is null)
            {
                return Error.NotFound($"Folder '{command.Folder}' not found.");
            }

            if (Folders.RoleOf(folder) is { } role)
            {
                return Error.Validation("folder", $"The {role} folder cannot be deleted.");
            }

            if ((await folder.GetSubfoldersAsync(false, ct)).Count > 0)
            {
                return Error.Conflict($"Folder '{folder.FullName}' has subfolders; delete them first.");
            }

            // Nothing is lost: the folder's messages go to Trash before the folder goes.
            await folder.OpenAsync(FolderAccess.ReadWrite, ct);
            if (folder.Count > 0 && Folders.Special(client, SpecialFolder.Trash) is { } trash)
            {
                var all = await folder.SearchAsync(SearchQuery.All, ct);
                await folder.MoveToAsync(all, trash, ct);
            }

            await folder.CloseAsync(false, ct);
            await folder.UnsubscribeAsync(ct);
            await folder.DeleteAsync(ct);
            return true;
        }, cancellationToken);

    private static FolderDto ToDto(IMailFolder folder) =>
        new(folder.FullName, Folders.DisplayName(folder), 0, folder.Count, Folders.RoleOf(folder),
            folder.ParentFolder is { FullName.Length: > 0 } parent ? parent.FullName : null);
}

public sealed class ManageFoldersEndpoint : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        // Folder ids are IMAP paths with '/', so they travel in the body or the query string, not the route.
        app.MapPost(ApiRoutes.Root + "/email/folders", async Task<IResult> (CreateFolderCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToHttp(f => Results.Created($"{ApiRoutes.Root}/email/messages/?folder={Uri.EscapeDataString(f.Id)}", f)))
            .RequireAuthorization().WithTags("Mail").WithName("CreateFolder");
        app.MapPatch(ApiRoutes.Root + "/email/folders", async (RenameFolderCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToOk())
            .RequireAuthorization().WithTags("Mail").WithName("RenameFolder");
        app.MapDelete(ApiRoutes.Root + "/email/folders", async Task<IResult> (HttpRequest request, ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteFolderCommand(request.Query.StringValue("folder")), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAuthorization().WithTags("Mail").WithName("DeleteFolder");
    }
}

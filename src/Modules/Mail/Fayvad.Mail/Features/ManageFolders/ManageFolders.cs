using System.ComponentModel;
using Carter;
using Fayvad.Identity.Contracts;
using Fayvad.Mail.Imap;
using Fayvad.Shared.Http;
using Fayvad.Shared.Results;
using Fayvad.Shared.Validation;
using FluentValidation;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Fayvad.Mail.Features.ManageFolders;

internal sealed record CreateFolderCommand(string? Name, string? Parent) : ICommand<Result<FolderDto>>;

internal sealed record RenameFolderCommand(string? Folder, string? Name) : ICommand<Result<FolderDto>>;

internal sealed record DeleteFolderCommand(string? Folder) : ICommand<Result<bool>>;

internal static class FolderNameRules
{
    /// <summary>Longest name as the server stores it (modified UTF-7): Dovecot refuses a longer one as "too long".</summary>
    public const int MaxEncodedLength = 200;

    /// <summary>A path the API looks up: anything longer is no folder, and would overflow an IMAP command.</summary>
    public const int MaxPathLength = 1000;

    /// <summary>One level of a path: no hierarchy separator, no LIST wildcards, no control characters, nothing Dovecot refuses.</summary>
    public static IRuleBuilderOptions<T, string?> FolderName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(200)
            .Must(n => n is null || (n.Trim() == n && n.IndexOfAny(['/', '*', '%']) < 0 && !n.Any(char.IsControl) && !n.StartsWith('.') && !n.StartsWith('~')))
            .WithMessage("name must not contain '/', '*', '%' or control characters (line breaks, tabs), start with '.' or '~', or have surrounding spaces.")
            .Must(n => n is null || EncodedLength(n) <= MaxEncodedLength)
            .WithMessage("name is too long for the mail server (fewer characters, especially accented or non-Latin ones).");

    /// <summary>The length of <paramref name="name"/> in IMAP's modified UTF-7 (RFC 3501 5.1.3): a run of non-ASCII characters costs '&amp;', base64 of its UTF-16, '-'.</summary>
    internal static int EncodedLength(string name)
    {
        var length = 0;
        var run = 0;
        foreach (var c in name)
        {
            if (c is >= ' ' and <= '~')
            {
                length += run == 0 ? 0 : 2 + (((run * 16) + 5) / 6);
                run = 0;
                length += c == '&' ? 2 : 1;
            }
            else
            {
                run++;
            }
        }

        return length + (run == 0 ? 0 : 2 + (((run * 16) + 5) / 6));
    }

    /// <summary>Dovecot's NO (or MailKit's own refusal) to a name that passed the rules above: the user's input, not a fault.</summary>
    public static Error? Refused(Exception exception) => exception switch
    {
        ImapCommandException { Response: ImapCommandResponse.No or ImapCommandResponse.Bad } imap =>
            Error.Validation("name", $"The mail server refused the folder name: {imap.ResponseText}"),
        ArgumentException => Error.Validation("name", "The mail server cannot hold a folder of that name."),
        _ => null,
    };
}

internal sealed class CreateFolderValidator : AbstractValidator<CreateFolderCommand>
{
    public CreateFolderValidator()
    {
        RuleFor(c => c.Name).FolderName();
        RuleFor(c => c.Parent).MaximumLength(FolderNameRules.MaxPathLength).SingleLine();
    }
}

internal sealed class RenameFolderValidator : AbstractValidator<RenameFolderCommand>
{
    public RenameFolderValidator()
    {
        RuleFor(c => c.Folder).NotEmpty().MaximumLength(FolderNameRules.MaxPathLength).SingleLine();
        RuleFor(c => c.Name).FolderName();
    }
}

internal sealed class DeleteFolderValidator : AbstractValidator<DeleteFolderCommand>
{
    public DeleteFolderValidator() => RuleFor(c => c.Folder).NotEmpty().MaximumLength(FolderNameRules.MaxPathLength).SingleLine();
}

internal sealed class ManageFoldersHandler(ICurrentUser caller, IImapSessions sessions)
    : ICommandHandler<CreateFolderCommand, Result<FolderDto>>,
      ICommandHandler<RenameFolderCommand, Result<FolderDto>>,
      ICommandHandler<DeleteFolderCommand, Result<bool>>
{
    public async ValueTask<Result<FolderDto>> Handle(CreateFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<FolderDto>(caller, async (session, ct) =>
        {
            var parent = command.Parent is { Length: > 0 } parentPath
                ? await session.FindFolderAsync(parentPath, ct)
                : session.Root;
            if (parent is null)
            {
                return Error.NotFound($"Folder '{command.Parent}' not found.");
            }

            var path = string.IsNullOrEmpty(parent.FullName) ? command.Name! : parent.FullName + parent.DirectorySeparator + command.Name;
            if (await session.FindExactFolderAsync(path, ct) is not null)
            {
                return Error.Conflict($"Folder '{path}' already exists.");
            }

            IMailFolder? created;
            try
            {
                created = await parent.CreateAsync(command.Name!, true, ct);
            }
            catch (Exception ex) when (FolderNameRules.Refused(ex) is not null)
            {
                return FolderNameRules.Refused(ex)!;
            }

            if (created is null)
            {
                return Error.Conflict($"Folder '{path}' could not be created.");
            }

            await created.SubscribeAsync(ct);
            return ToDto(created);
        }, cancellationToken);

    public async ValueTask<Result<FolderDto>> Handle(RenameFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<FolderDto>(caller, async (session, ct) =>
        {
            var folder = await session.FindFolderAsync(command.Folder!, ct);
            if (folder is null)
            {
                return Error.NotFound($"Folder '{command.Folder}' not found.");
            }

            if (Folders.RoleOf(folder) is { } role)
            {
                return Error.Validation("folder", $"The {role} folder cannot be renamed.");
            }

            var parent = folder.ParentFolder ?? session.Root;
            var target = string.IsNullOrEmpty(parent.FullName) ? command.Name! : parent.FullName + parent.DirectorySeparator + command.Name;
            if (await session.FindExactFolderAsync(target, ct) is not null)
            {
                return Error.Conflict($"Folder '{target}' already exists.");
            }

            try
            {
                await folder.RenameAsync(parent, command.Name!, ct);
            }
            catch (Exception ex) when (FolderNameRules.Refused(ex) is not null)
            {
                return FolderNameRules.Refused(ex)!;
            }

            return ToDto(folder);
        }, cancellationToken);

    public async ValueTask<Result<bool>> Handle(DeleteFolderCommand command, CancellationToken cancellationToken) =>
        await sessions.RunInOwnMailboxAsync<bool>(caller, async (session, ct) =>
        {
            var folder = await session.FindFolderAsync(command.Folder!, ct);
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
            if (folder.Count > 0 && session.Special(SpecialFolder.Trash) is { } trash)
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
            .RequireAuthorization().WithTags("Mail").WithName("CreateFolder").Returns<FolderDto>(StatusCodes.Status201Created).Fails(403, 404, 409);
        app.MapPatch(ApiRoutes.Root + "/email/folders", async (RenameFolderCommand command, ISender sender, CancellationToken ct) =>
                (await sender.Send(command, ct)).ToOk())
            .RequireAuthorization().WithTags("Mail").WithName("RenameFolder").Returns<FolderDto>().Fails(403, 404, 409);
        app.MapDelete(ApiRoutes.Root + "/email/folders", async Task<IResult> (
                    [FromQuery(Name = "folder"), Description("The folder path."), System.ComponentModel.DataAnnotations.Required] string? folder,
                    ISender sender, CancellationToken ct) =>
                (await sender.Send(new DeleteFolderCommand(folder.Trimmed()), ct)).ToHttp(_ => Results.NoContent()))
            .RequireAuthorization().WithTags("Mail").WithName("DeleteFolder").Produces(StatusCodes.Status204NoContent).Fails(403, 404, 409);
    }
}

using Fayvad.Directory.Contracts;

namespace Fayvad.Identity.Contracts;

/// <summary>The authenticated caller of this request; never taken from the request body.</summary>
public interface ICurrentUser
{
    long UserId { get; }
    string Username { get; }
    UserRole Role { get; }
    long? OrganizationId { get; }

    /// <summary>The caller's own mailbox address, when the user has one.</summary>
    string? MailboxAddress { get; }

    /// <summary>The access token this request came with.</summary>
    long TokenId { get; }
}

/// <summary>For long-lived requests (event streams): whether the token they began with still grants access.</summary>
public interface ISessionCheck
{
    /// <summary>False once the token is revoked or expired, or its user (or anything it depends on) is disabled.</summary>
    Task<bool> IsStillValidAsync(long tokenId, CancellationToken cancellationToken);
}

public static class CurrentUserMailbox
{
    /// <summary>The caller's own mailbox: the only one any mail request may touch; a user without one gets 403.</summary>
    public static Fayvad.Shared.Results.Result<string> OwnMailbox(this ICurrentUser user) =>
        user.MailboxAddress is { } address
            ? address
            : Fayvad.Shared.Results.Error.Forbidden("This user has no mailbox.");
}

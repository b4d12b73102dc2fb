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
}

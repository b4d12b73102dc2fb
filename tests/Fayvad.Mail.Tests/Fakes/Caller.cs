using Fayvad.Directory.Contracts;
using Fayvad.Identity.Contracts;

namespace Fayvad.Mail.Tests.Fakes;

/// <summary>The authenticated caller of a handler under test.</summary>
internal sealed record Caller(string? MailboxAddress, long UserId = 7, string Username = "user", UserRole Role = UserRole.User) : ICurrentUser
{
    public long? OrganizationId => 1;

    public long TokenId => 1;
}

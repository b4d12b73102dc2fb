namespace Fayvad.Directory.Deletion;

/// <summary>What can be deleted and restored; serialized "organization", "domain", "email_account", "user", "alias".</summary>
internal enum DeletedKind
{
    Organization,
    Domain,
    EmailAccount,
    User,
    Alias,
}

internal static class DeletedKinds
{
    public static string Wire(this DeletedKind kind) => kind switch
    {
        DeletedKind.Organization => "organization",
        DeletedKind.Domain => "domain",
        DeletedKind.EmailAccount => "email_account",
        DeletedKind.Alias => "alias",
        _ => "user",
    };

    /// <summary>The collection path of each kind, under which its deleted/ list and {id}/restore/ live.</summary>
    public static readonly IReadOnlyDictionary<DeletedKind, string> Paths = new Dictionary<DeletedKind, string>
    {
        [DeletedKind.Organization] = "/admin/organizations",
        [DeletedKind.Domain] = "/domains",
        [DeletedKind.EmailAccount] = "/org/email-accounts",
        [DeletedKind.User] = "/users",
        [DeletedKind.Alias] = "/org/aliases",
    };
}

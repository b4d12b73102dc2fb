using Fayvad.Directory.Contracts;
using Fayvad.Directory.Model;
using Fayvad.Shared.Results;

namespace Fayvad.Directory.Access;

/// <summary>
/// The rules every profile change obeys, whoever makes it (the user on auth/me, an admin on users/{id}). Formats are
/// checked by the slices' validators; these are the values the server cannot honour.
/// </summary>
internal static class ProfileEditing
{
    /// <summary>Applies the changes to a tracked user loaded with its email account; nothing is applied on an error.</summary>
    public static Error? Apply(User user, ProfileChanges changes)
    {
        if (changes.TfaEnabled == true)
        {
            return Error.Validation("tfa_enabled",
                "tfa_enabled cannot be turned on: this server has no two-factor authentication.");
        }

        string? email = null;
        if (changes.Email is not null)
        {
            email = Addresses.Normalize(changes.Email);
            if (user.EmailAccount is { } mailbox && email != mailbox.Address)
            {
                return Error.Validation("email",
                    $"email of a mailbox user is its address ({mailbox.Address}) and cannot be changed; put another address in secondary_email.");
            }
        }

        user.FirstName = changes.FirstName?.Trim() ?? user.FirstName;
        user.LastName = changes.LastName?.Trim() ?? user.LastName;
        user.Email = email ?? user.Email;
        user.PhoneNumber = changes.PhoneNumber?.Trim() ?? user.PhoneNumber;
        user.SecondaryEmail = changes.SecondaryEmail is null ? user.SecondaryEmail : Addresses.Normalize(changes.SecondaryEmail);
        user.Language = changes.Language?.Trim().ToLowerInvariant().Replace('_', '-') ?? user.Language;
        user.TfaEnabled = changes.TfaEnabled ?? user.TfaEnabled;
        return null;
    }
}

namespace Fayvad.Directory.Passwords;

/// <summary>
/// bcrypt in Dovecot's scheme-tagged form ({BLF-CRYPT}$2y$...), so the mail server verifies the same hash the API writes.
/// </summary>
internal sealed class PasswordHasher(int workFactor = PasswordHasher.DefaultWorkFactor)
{
    public const int DefaultWorkFactor = 10;
    private const string Scheme = "{BLF-CRYPT}";

    public string Hash(string password) =>
        Scheme + BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(workFactor, 'y'));

    public static bool Verify(string password, string storedHash)
    {
        if (!storedHash.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            return BCrypt.Net.BCrypt.Verify(password, storedHash[Scheme.Length..]);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}

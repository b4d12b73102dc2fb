using System.Globalization;
using System.Security.Cryptography;
using Fayvad.Directory.Model;

namespace Fayvad.Directory.Dkim;

/// <summary>
/// Makes a domain's DKIM key: RSA 2048 (what every large receiver accepts; 1024 is refused by some), a dated selector
/// (fy202611; fy202611b... for a second key in the same month) so an admin can tell keys apart in DNS.
/// </summary>
internal static class DkimKeyFactory
{
    public const int KeyBits = 2048;
    public const string SelectorPrefix = "fy";

    public static DkimKey Create(long domainId, IEnumerable<string> takenSelectors, DateTimeOffset now, DkimKeyState state)
    {
        using var rsa = RSA.Create(KeyBits);
        return new DkimKey
        {
            DomainId = domainId,
            Selector = NextSelector(takenSelectors, now),
            PrivateKey = rsa.ExportRSAPrivateKeyPem(),
            PublicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()),
            State = state,
            CreatedAt = now,
        };
    }

    public static string NextSelector(IEnumerable<string> taken, DateTimeOffset now)
    {
        var used = taken.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var month = SelectorPrefix + now.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);
        if (!used.Contains(month))
        {
            return month;
        }

        for (var suffix = 'b'; suffix <= 'z'; suffix++)
        {
            if (!used.Contains(month + suffix))
            {
                return month + suffix;
            }
        }

        return month + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    }

    /// <summary>The TXT record a receiver fetches at selector._domainkey.domain.</summary>
    public static string TxtValue(string publicKey) => $"v=DKIM1; k=rsa; p={publicKey}";
}

using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Fayvad.Mail.Contracts;

/// <summary>
/// A folder's position for delta sync (RFC 7162): UIDVALIDITY, HIGHESTMODSEQ and UIDNEXT, as one opaque, URL-safe
/// string. The list responses hand it out; /email/changes/ and check-new take it back.
/// </summary>
public readonly record struct SyncState(uint UidValidity, ulong HighestModSeq, uint UidNext)
{
    private const string Prefix = "s1.";

    public string Encode() =>
        Prefix + Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{UidValidity}:{HighestModSeq}:{UidNext}")));

    public static bool TryDecode(string? text, out SyncState state)
    {
        state = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length > 100)
        {
            return false;
        }

        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text.AsSpan(Prefix.Length))).Split(':');
            if (parts.Length == 3
                && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var modSeq)
                && uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uidNext))
            {
                state = new SyncState(validity, modSeq, uidNext);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}

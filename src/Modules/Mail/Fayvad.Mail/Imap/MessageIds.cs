using System.Buffers.Text;
using System.Globalization;
using System.Text;
using MailKit;

namespace Fayvad.Mail.Imap;

/// <summary>Where a message lives: folder, the folder's UIDVALIDITY and the UID.</summary>
internal readonly record struct MessageLocation(string Folder, uint UidValidity, uint Uid)
{
    public UniqueId UniqueId => new(UidValidity, Uid);
}

/// <summary>
/// The API's message id: opaque, URL-safe, and naming folder, UIDVALIDITY and UID, so ids from several folders work
/// together and an id from a recreated folder (new UIDVALIDITY) is refused instead of hitting another message.
/// It carries no user: it is only ever resolved inside the caller's own mailbox.
/// </summary>
internal static class MessageIds
{
    private const string Version = "m1";

    public static string Encode(string folder, uint uidValidity, uint uid) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{Version}:{uidValidity}:{uid}:{folder}")));

    public static string Encode(MessageLocation location) => Encode(location.Folder, location.UidValidity, location.Uid);

    public static bool TryDecode(string? id, out MessageLocation location)
    {
        location = default;
        if (string.IsNullOrEmpty(id) || id.Length > 2048)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(id));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = text.Split(':', 4);
        if (parts.Length != 4 || parts[0] != Version
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            || !uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            || uid == 0 || parts[3].Length == 0)
        {
            return false;
        }

        location = new MessageLocation(parts[3], validity, uid);
        return true;
    }
}

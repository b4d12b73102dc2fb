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
    /// <summary>What the <c>folder</c> query parameter of a route with a message id means.</summary>
    public const string FolderParameter = "The folder to look in (an id names its folder already).";

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

    /// <summary>
    /// The longest RFC Message-ID taken or shown (RFC 5322's line limit): a longer one in a request is no id, and one in a
    /// message is dropped, never cut (<see cref="Mime.MessageMapper.Kept"/>).
    /// </summary>
    public const int RfcIdLimit = 998;

    /// <summary>An id as a request may carry it: the API's own, or an RFC Message-ID (see <see cref="TryParseRfc"/>).</summary>
    public static bool IsMessageId(string? id) => TryDecode(id, out _) || TryParseRfc(id, out _);

    /// <summary>
    /// An RFC 5322 Message-ID as a client passes it, with or without its angle brackets ("&lt;a@b&gt;" or "a@b"); on
    /// success <paramref name="messageId"/> is the bare id (no brackets), as IMAP's ENVELOPE reports it.
    /// </summary>
    public static bool TryParseRfc(string? id, out string messageId)
    {
        messageId = "";
        var text = id?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > RfcIdLimit)
        {
            return false;
        }

        if (text[0] == '<' && text[^1] == '>')
        {
            text = text[1..^1];
        }

        if (text.Length < 3 || !text.Contains('@', StringComparison.Ordinal) || text.Any(c => c is '<' or '>' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return false;
        }

        messageId = text;
        return true;
    }

    /// <summary>
    /// A message id taken from a URL path. The router decodes every escape but %2F (it would split the path), so a
    /// Message-ID containing '/' arrives with it still escaped; API ids never contain '%'.
    /// </summary>
    public static string FromPath(string id) =>
        id.Contains("%2F", StringComparison.OrdinalIgnoreCase) ? id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : id;

    /// <summary>
    /// The <c>message_id</c> of the list shape, the id the client keeps and sends back: the RFC Message-ID in angle
    /// brackets when the message has one without '/' (the client builds URL paths from it), else the API id. Never empty.
    /// </summary>
    public static string ForClient(string? rfcMessageId, string apiId) =>
        TryParseRfc(rfcMessageId, out var bare) && !bare.Contains('/', StringComparison.Ordinal) ? $"<{bare}>" : apiId;
}

using System.Globalization;
using MimeKit;

namespace Fayvad.Mail.Mime;

/// <summary>rspamd's verdict on a message as our own mail server stamped it: the score and spam or ham.</summary>
internal sealed record SpamVerdict(double Score, string Verdict)
{
    public const string Spam = "spam";
    public const string Ham = "ham";
}

/// <summary>
/// Reads the verdict the stack's rspamd milter stamped (<c>X-Spam-Status: Yes, score=7.20</c>) when
/// <c>X-Rspamd-Server</c> beside it names one of our receiving servers (Mail:AuthenticationResults:TrustedServers;
/// none configured: the topmost stamp). Postfix removes every arriving header of these names before rspamd stamps its
/// own (docs/adr/0035), so a sender's forgery never reaches a mailbox by SMTP; this check also keeps out one a user
/// uploads over IMAP. Null when the message was not scanned (its domain has antispam off, or it came another way).
/// </summary>
internal static class SpamVerdictReader
{
    public const string StatusHeader = "X-Spam-Status";
    public const string ServerHeader = "X-Rspamd-Server";

    public static SpamVerdict? Read(HeaderList? headers, IReadOnlyCollection<string> trustedServers)
    {
        if (headers is null)
        {
            return null;
        }

        var server = headers.FirstOrDefault(h => h.Field.Equals(ServerHeader, StringComparison.OrdinalIgnoreCase))?.Value?.Trim();
        if (server is null || (trustedServers.Count > 0 && !trustedServers.Contains(server, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        var status = headers.FirstOrDefault(h => h.Field.Equals(StatusHeader, StringComparison.OrdinalIgnoreCase))?.Value?.Trim();
        if (status is null)
        {
            return null;
        }

        // "Yes, score=7.20" (rspamd's milter_headers): the verdict, then the score.
        var comma = status.IndexOf(',', StringComparison.Ordinal);
        var verdict = (comma < 0 ? status : status[..comma]).Trim();
        var scoreAt = status.IndexOf("score=", StringComparison.OrdinalIgnoreCase);
        if (scoreAt < 0)
        {
            return null;
        }

        var scoreText = new string(status[(scoreAt + "score=".Length)..].TakeWhile(c => char.IsDigit(c) || c is '.' or '-').ToArray());
        if (!double.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || !double.IsFinite(score))
        {
            return null;
        }

        return verdict.Equals("yes", StringComparison.OrdinalIgnoreCase) ? new SpamVerdict(score, SpamVerdict.Spam)
            : verdict.Equals("no", StringComparison.OrdinalIgnoreCase) ? new SpamVerdict(score, SpamVerdict.Ham)
            : null;
    }
}

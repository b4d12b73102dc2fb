namespace Fayvad.Shared.Text;

/// <summary>
/// What no text field of the API may hold: NUL (PostgreSQL cannot store it, IMAP and SMTP end a line on it), other
/// control characters, and unpaired UTF-16 surrogates (no valid UTF-8 for them). Tabs and line breaks are left to each
/// field's own rules (a mail body has them; a name or a subject may not).
/// </summary>
public static class TextRules
{
    /// <summary>Why <paramref name="value"/> is not acceptable text, as the end of a sentence starting with the field's name; null when it is.</summary>
    public static string? Problem(string? value)
    {
        if (value is null)
        {
            return null;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return "must not contain a NUL character.";
            }

            if (char.IsControl(c) && c is not ('\t' or '\r' or '\n'))
            {
                return "must not contain control characters.";
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "must be valid Unicode text (it holds an unpaired surrogate).";
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="value"/> holds a line break (CR, LF), which would start a new line of a mail header or protocol command.</summary>
    public static bool HasLineBreak(string? value) => value is not null && value.AsSpan().IndexOfAny('\r', '\n') >= 0;
}

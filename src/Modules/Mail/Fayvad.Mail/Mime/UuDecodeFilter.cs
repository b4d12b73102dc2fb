using MimeKit.IO.Filters;

namespace Fayvad.Mail.Mime;

/// <summary>
/// uuencode decoded line by line, as uudecode and Python's binascii read it: after the <c>begin</c> line each line's
/// first character gives how many bytes the line holds, and characters missing at the end of a line count as zero
/// (mailers strip trailing spaces, and a space encodes zero). MimeKit's decoder carries a partial group across the line
/// end instead, so one shortened line shifts every later one and the file ends early (a 251,141-byte zip came out as
/// 61,704 bytes). Decoding stops at <c>end</c> or at a line of length zero.
/// </summary>
internal sealed class UuDecodeFilter : MimeFilterBase
{
    /// <summary>The most bytes one line can give: its length character names at most 63.</summary>
    private const int MaxLineBytes = 63;

    private enum State
    {
        BeforeBegin,
        Payload,
        Ended,
    }

    private State _state;

    protected override byte[] Filter(byte[] input, int startIndex, int length, out int outputIndex, out int outputLength, bool flush)
    {
        var span = input.AsSpan(startIndex, length);
        EnsureOutputSize((span.Count((byte)'\n') + 1) * MaxLineBytes, false);
        var output = OutputBuffer;
        var written = 0;
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)'\n');
            if (end < 0 && !flush)
            {
                // A partial line waits for the rest of it.
                SaveRemainingInput(input, startIndex + length - span.Length, span.Length);
                break;
            }

            var line = end < 0 ? span : span[..end];
            span = end < 0 ? [] : span[(end + 1)..];
            written += DecodeLine(line.TrimEnd((byte)'\r'), output.AsSpan(written));
        }

        outputIndex = 0;
        outputLength = written;
        return output;
    }

    private int DecodeLine(ReadOnlySpan<byte> line, Span<byte> output)
    {
        switch (_state)
        {
            case State.BeforeBegin:
                if (line.StartsWith("begin "u8))
                {
                    _state = State.Payload;
                }

                return 0;
            case State.Payload when line.Length == 0:
                return 0;
            case State.Payload when line.TrimEnd((byte)' ').SequenceEqual("end"u8):
                _state = State.Ended;
                return 0;
            case State.Payload:
                var count = Value(line[0]);
                if (count == 0)
                {
                    _state = State.Ended;
                    return 0;
                }

                // Four characters give three bytes; a character past the line's end is a stripped space: zero.
                for (var i = 0; i < count; i++)
                {
                    var group = 1 + (i / 3 * 4);
                    var a = At(line, group);
                    var b = At(line, group + 1);
                    output[i] = (byte)((i % 3) switch
                    {
                        0 => (a << 2) | (b >> 4),
                        1 => (b << 4) | (At(line, group + 2) >> 2),
                        _ => (At(line, group + 2) << 6) | At(line, group + 3),
                    });
                }

                return count;
            default:
                return 0;
        }
    }

    private static int Value(byte c) => (c - 0x20) & 0x3F;

    private static int At(ReadOnlySpan<byte> line, int index) => index < line.Length ? Value(line[index]) : 0;

    public override void Reset()
    {
        _state = State.BeforeBegin;
        base.Reset();
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fayvad.Host;

/// <summary>
/// Kestrel answers a request it cannot parse (a NUL or space in the path, a header line that is not one, no Host, a
/// Content-Length that is not a number, a version it does not speak, a head past its limits) before any middleware
/// runs, with an empty body, and has no hook to change that (aspnetcore#4726). This connection filter gives exactly
/// those answers the API's <c>{"error"}</c> body, so a client without nginx in front reads every refusal the same way
/// (docs/adr/0032).
/// </summary>
internal static class KestrelRefusals
{
    public static void Use(ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            connection.Transport = new FilteredTransport(connection.Transport);
            return next(connection);
        });

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Kestrel's bare refusal in <paramref name="bytes"/> with the error body added, or null when it is anything else.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> bytes)
    {
        // Kestrel's refusal: a status line, its own few headers, "Content-Length: 0" and "Connection: close", and
        // nothing after the head. Every answer of the API's own pipeline has a body or keeps the connection.
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0 || end + 4 != text.Length || !text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)
            || !text.Contains("\r\nContent-Length: 0\r\n", StringComparison.Ordinal)
            || !text.Contains("\r\nConnection: close\r\n", StringComparison.Ordinal)
            || text.Contains("\r\nContent-Type:", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(text.AsSpan(9, 3), out var status) || status < 400)
        {
            return null;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(Message(status)), Json);
        var head = text[..(end + 2)].Replace(
            "\r\nContent-Length: 0\r\n",
            $"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\nX-Content-Type-Options: nosniff\r\n",
            StringComparison.Ordinal);
        return [.. Encoding.Latin1.GetBytes(head + "\r\n"), .. body];
    }

    private static string Message(int status) => status switch
    {
        400 => "The request is not valid HTTP/1.1: its request line or one of its headers is malformed " +
               "(a control character, space or non-ASCII byte in the path, a header line without a name, no Host, " +
               "or a Content-Length that is not a number).",
        408 => "The request did not arrive in time.",
        411 => "A request with a body needs a Content-Length or Transfer-Encoding header.",
        413 => "The request body is too large.",
        414 => "The URL is too long.",
        431 => "The request headers are too large.",
        505 => "This HTTP version is not supported: use HTTP/1.1.",
        _ => $"The request was refused (HTTP {status}).",
    };

    private sealed class FilteredTransport(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new RefusalWriter(inner.Output);
    }

    /// <summary>
    /// Passes everything through, but holds a flush that starts with an error status line until it is flushed, to see
    /// whether it is Kestrel's bare refusal. A response's head always starts a flush (Kestrel flushes each response).
    /// </summary>
    private sealed class RefusalWriter(PipeWriter inner) : PipeWriter
    {
        private static ReadOnlySpan<byte> StatusLine => "HTTP/1.1 "u8;

        private Memory<byte> _lent;
        private int _lentOffset;
        private bool _flushed = true;
        private ArrayBufferWriter<byte>? _held;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes + (_held?.WrittenCount ?? 0);

        // While a flush is held, the inner writer's memory is only scratch: each Advance copies its bytes out, and the
        // inner writer is not advanced. Kestrel writes on into a span's remainder after advancing part of it (its
        // BufferWriter), so the bytes of an Advance are always read at the offset within the memory last lent.
        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            _lentOffset = 0;
            return _lent = inner.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            var written = _lent.Span.Slice(_lentOffset, bytes);
            _lentOffset += bytes;
            if (_held is not null)
            {
                _held.Write(written);
                return;
            }

            if (_flushed && bytes > 0)
            {
                _flushed = false;
                if (bytes > StatusLine.Length && written.StartsWith(StatusLine) && written[StatusLine.Length] is (byte)'4' or (byte)'5')
                {
                    _held = new ArrayBufferWriter<byte>(Math.Max(bytes, 512));
                    _held.Write(written);
                    return;
                }
            }

            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Release();
            _flushed = true;
            return inner.FlushAsync(cancellationToken);
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            this.Write(source.Span);
            return FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Release();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Release();
            return inner.CompleteAsync(exception);
        }

        private void Release()
        {
            if (_held is not { } held)
            {
                return;
            }

            _held = null;
            if (Rewrite(held.WrittenSpan) is { } answer)
            {
                inner.Write(answer);
            }
            else
            {
                inner.Write(held.WrittenSpan);
            }
        }
    }
}

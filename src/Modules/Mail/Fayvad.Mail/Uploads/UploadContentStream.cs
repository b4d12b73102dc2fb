using Npgsql;

namespace Fayvad.Mail.Uploads;

/// <summary>
/// A read-only, seekable view of an upload that loads one chunk at a time. Seekable, so HTTP Range requests and MIME
/// writers that write a message more than once (SMTP SIZE, then DATA; IMAP APPEND) can start over.
/// </summary>
internal sealed class UploadContentStream(NpgsqlDataSource db, long uploadId, long length) : Stream
{
    private const string ChunkSql = "SELECT data FROM mail.upload_chunks WHERE upload_id = $1 AND seq = $2";

    private byte[]? _chunk;
    private int _chunkSeq = -1;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= length || buffer.Length == 0)
        {
            return 0;
        }

        var seq = (int)(_position / UploadStore.ChunkBytes);
        if (seq != _chunkSeq)
        {
            using var command = Command(seq);
            Loaded(seq, command.ExecuteScalar());
        }

        return CopyOut(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0)
        {
            return 0;
        }

        var seq = (int)(_position / UploadStore.ChunkBytes);
        if (seq != _chunkSeq)
        {
            await using var command = Command(seq);
            Loaded(seq, await command.ExecuteScalarAsync(cancellationToken));
        }

        return CopyOut(buffer.Span);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private NpgsqlCommand Command(int seq)
    {
        var command = db.CreateCommand(ChunkSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = uploadId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seq });
        return command;
    }

    private void Loaded(int seq, object? data)
    {
        // Removed by expiry while being read: a short file would be worse than a failed request.
        _chunk = data as byte[] ?? throw new UploadGoneException(uploadId);
        _chunkSeq = seq;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var offset = (int)(_position - ((long)_chunkSeq * UploadStore.ChunkBytes));
        var count = Math.Min(buffer.Length, _chunk!.Length - offset);
        if (count <= 0)
        {
            throw new IOException($"Upload {uploadId} is shorter than recorded.");
        }

        _chunk.AsSpan(offset, count).CopyTo(buffer);
        _position += count;
        return count;
    }
}

/// <summary>The upload was removed (expired) after it was found: before the response starts this is a 404, after it a cut-off.</summary>
internal sealed class UploadGoneException(long uploadId) : IOException($"Upload {uploadId} is no longer stored.");

using System.Buffers;
using Fayvad.Mail.Data;
using Fayvad.Mail.Mime;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fayvad.Mail.Uploads;

internal sealed record UploadInfo(long Id, string FileName, string ContentType, long SizeBytes, DateTimeOffset CreatedAt);

/// <summary>
/// Uploaded files as fixed-size chunk rows in the mail schema: any API node can serve or send them, a file is never
/// held whole in memory (one chunk at a time, both ways), and one transaction makes an upload all or nothing.
/// </summary>
internal sealed class UploadStore(MailDataSource data, MailDbContext db, TimeProvider clock, IOptions<MailOptions> options)
{
    public const int ChunkBytes = 512 * 1024;

    private readonly NpgsqlDataSource _db = data.Source;

    public long MaxFileBytes => options.Value.Uploads.MaxFileBytes;

    /// <summary>Streams <paramref name="content"/> into storage; past the per-file limit nothing is kept (413).</summary>
    public async Task<Result<UploadInfo>> SaveAsync(long owner, string fileName, string contentType, Stream content, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long id;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO mail.uploads (owner_user_id, file_name, content_type, size_bytes, created_at, last_used_at)
            VALUES ($1, $2, $3, 0, $4, $4) RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = owner });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fileName });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = contentType });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long total = 0;
            var seq = 0;
            await using var chunk = new NpgsqlCommand("INSERT INTO mail.upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)", connection, transaction);
            var idParam = new NpgsqlParameter<long> { TypedValue = id };
            var seqParam = new NpgsqlParameter<int>();
            var dataParam = new NpgsqlParameter<ArraySegment<byte>>();
            chunk.Parameters.Add(idParam);
            chunk.Parameters.Add(seqParam);
            chunk.Parameters.Add(dataParam);
            while (true)
            {
                var filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, ChunkBytes), ChunkBytes, throwOnEndOfStream: false, cancellationToken);
                if (filled == 0)
                {
                    break;
                }

                total += filled;
                if (total > MaxFileBytes)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    return TooLarge(MaxFileBytes);
                }

                seqParam.TypedValue = seq++;
                dataParam.TypedValue = new ArraySegment<byte>(buffer, 0, filled);
                await chunk.ExecuteNonQueryAsync(cancellationToken);
                if (filled < ChunkBytes)
                {
                    break;
                }
            }

            await using (var size = new NpgsqlCommand("UPDATE mail.uploads SET size_bytes = $2 WHERE id = $1", connection, transaction))
            {
                size.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
                size.Parameters.Add(new NpgsqlParameter<long> { TypedValue = total });
                await size.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new UploadInfo(id, fileName, contentType, total, now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<UploadInfo?> FindAsync(long owner, long id, CancellationToken cancellationToken) =>
        await FindAsync(owner, [id], cancellationToken) is [var found] ? found : null;

    /// <summary>The caller's own uploads among <paramref name="ids"/>, in the order asked; another user's are not found.</summary>
    public async Task<IReadOnlyList<UploadInfo>> FindAsync(long owner, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var found = await db.Uploads.AsNoTracking()
            .Where(u => ids.Contains(u.Id) && u.OwnerUserId == owner)
            .Select(u => new UploadInfo(u.Id, u.FileName, u.ContentType, u.SizeBytes, u.CreatedAt))
            .ToListAsync(cancellationToken);
        return ids.Select(id => found.FirstOrDefault(u => u.Id == id)).OfType<UploadInfo>().ToList();
    }

    /// <summary>
    /// The caller's uploads named by a send or a draft as attachments, marked used; 404 naming the first id that is
    /// not the caller's (or no longer exists).
    /// </summary>
    public async Task<Result<IReadOnlyList<OutgoingAttachment>>> AttachAsync(long owner, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return Result<IReadOnlyList<OutgoingAttachment>>.Success([]);
        }

        var found = await FindAsync(owner, ids.Distinct().ToList(), cancellationToken);
        var missing = ids.Where(id => found.All(u => u.Id != id)).ToList();
        if (missing.Count > 0)
        {
            return Error.NotFound($"attachment_ids: upload {missing[0]} was not found. Upload the file again.");
        }

        await TouchAsync(found.Select(u => u.Id).ToArray(), cancellationToken);
        return ids.Select(id => found.First(u => u.Id == id))
            .Select(u => new OutgoingAttachment(u.FileName, u.ContentType, OpenRead(u), u.Id))
            .ToList();
    }

    public Stream OpenRead(UploadInfo upload) => new UploadContentStream(_db, upload.Id, upload.SizeBytes);

    public async Task TouchAsync(long[] ids, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("UPDATE mail.uploads SET last_used_at = $2 WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static Error TooLarge(long limit) =>
        Error.PayloadTooLarge($"file: the file is larger than the limit of {limit / 1048576.0:0.#} MB per file.");
}

/// <summary>Removes uploads that nothing used for Mail:Uploads:Lifetime (their chunks go with them).</summary>
internal static class UploadSweep
{
    public static async Task<int> DeleteUnusedAsync(NpgsqlDataSource db, DateTimeOffset unusedSince, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("DELETE FROM mail.uploads WHERE last_used_at < $1");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = unusedSince });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

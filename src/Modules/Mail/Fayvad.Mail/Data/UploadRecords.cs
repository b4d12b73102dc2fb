namespace Fayvad.Mail.Data;

/// <summary>
/// A file uploaded for a later send or draft. Its bytes live in <see cref="UploadChunk"/> rows, so every API node sees
/// them and none holds a whole file in memory; it belongs to the user who uploaded it.
/// </summary>
internal sealed class Upload
{
    public long Id { get; set; }
    public long OwnerUserId { get; set; }
    public required string FileName { get; set; }
    public required string ContentType { get; set; }
    public long SizeBytes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Upload, send or draft save; the janitor removes uploads unused for Mail:Uploads:Lifetime.</summary>
    public DateTimeOffset LastUsedAt { get; set; }
}

/// <summary>One fixed-size piece of an upload (the last may be shorter); seq counts from 0.</summary>
internal sealed class UploadChunk
{
    public long UploadId { get; set; }
    public int Seq { get; set; }
    public required byte[] Data { get; set; }
}

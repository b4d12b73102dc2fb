using System.Text.Json;
using Fayvad.Mail.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fayvad.Mail.Tests;

/// <summary>
/// The janitor may remove an upload between a download's lookup and its first read (the stack's real PostgreSQL):
/// the caller gets the same 404 as a moment later, never a 500; once bytes have left, the connection is cut.
/// </summary>
public sealed class UploadGoneTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().BuildServiceProvider();
    private NpgsqlDataSource _db = null!;

    public ValueTask InitializeAsync()
    {
        _db = NpgsqlDataSource.Create(Fayvad.Api.Tests.StackSettings.DbConnection);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task An_upload_removed_after_its_lookup_is_answered_404_before_any_byte()
    {
        var id = await InsertUploadAsync("hello"u8.ToArray());
        var content = new UploadContentStream(_db, id, 5);
        await ExecuteAsync("DELETE FROM mail.uploads WHERE id = $1", id);
        var context = Context();

        await new UploadFileResult(Results.Stream(content, "text/plain", enableRangeProcessing: true)).ExecuteAsync(context);

        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: Ct);
        Assert.Equal("Upload not found.", body.RootElement.GetProperty("error").GetString());
        Assert.False(context.Response.Headers.ContainsKey("Content-Length"));
    }

    [Fact]
    public async Task An_upload_still_stored_is_sent_whole()
    {
        var id = await InsertUploadAsync("hello"u8.ToArray());
        var context = Context();

        await new UploadFileResult(Results.Stream(new UploadContentStream(_db, id, 5), "text/plain")).ExecuteAsync(context);
        await ExecuteAsync("DELETE FROM mail.uploads WHERE id = $1", id);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("hello"u8.ToArray(), ((MemoryStream)context.Response.Body).ToArray());
    }

    [Fact]
    public async Task An_upload_removed_mid_download_cuts_the_connection_instead_of_ending_the_file_short()
    {
        var context = Context();
        var started = new StartedResponse();
        var lifetime = new Lifetime();
        context.Features.Set<IHttpResponseFeature>(started);
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await new UploadFileResult(new Throws(new UploadGoneException(7))).ExecuteAsync(context);

        Assert.True(lifetime.Aborted);
    }

    private DefaultHttpContext Context() => new() { RequestServices = _services, Response = { Body = new MemoryStream() } };

    private async Task<long> InsertUploadAsync(byte[] data)
    {
        await using var command = _db.CreateCommand("""
            WITH u AS (INSERT INTO mail.uploads (owner_user_id, file_name, content_type, size_bytes, created_at, last_used_at)
                       VALUES (-1, 'gone.txt', 'text/plain', $1, now(), now()) RETURNING id)
            INSERT INTO mail.upload_chunks (upload_id, seq, data) SELECT id, 0, $2 FROM u RETURNING upload_id
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = data.Length });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = data });
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task ExecuteAsync(string sql, long id)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await command.ExecuteNonQueryAsync(Ct);
    }

    private sealed class Throws(Exception exception) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Task.FromException(exception);
    }

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }

    private sealed class Lifetime : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }
}

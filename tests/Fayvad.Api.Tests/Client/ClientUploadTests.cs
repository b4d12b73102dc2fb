using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fayvad.Api.Tests.Client;

/// <summary>
/// <c>POST email/attachments/upload/</c> (alias <c>email/upload-attachment/</c>) and <c>GET email/attachments/download/?id=</c>
/// (alias <c>email/download-attachment/?attachment_id=</c>); Range on those and on stored messages' attachments.
/// </summary>
public sealed class ClientUploadTests(ApiFactory factory) : ClientComposeTest(factory)
{
    [Fact]
    public async Task A_multi_megabyte_upload_comes_back_byte_exact_with_its_type_and_a_safe_disposition()
    {
        var user = await ClientMailboxAsync("user");
        // Not a multiple of the storage chunk, so the last chunk is a short one.
        var content = RandomBytes((5 * 1024 * 1024) + 12345);

        var uploaded = await UploadAsync(user.Client, content, "Quarterly report.pdf", "application/pdf");
        Assert.True(uploaded.GetProperty("uploaded").GetBoolean());
        Assert.Equal(JsonValueKind.Number, uploaded.GetProperty("id").ValueKind);
        var id = uploaded.GetProperty("id").GetInt64();
        Assert.Equal(id, uploaded.GetProperty("attachment_id").GetInt64());
        Assert.Equal("Quarterly report.pdf", uploaded.GetProperty("filename").GetString());
        Assert.Equal(content.Length, uploaded.GetProperty("size").GetInt64());
        Assert.Equal(content.Length, uploaded.GetProperty("size_bytes").GetInt64());
        Assert.Equal("application/pdf", uploaded.GetProperty("content_type").GetString());

        var download = await user.Client.GetAsync($"{Root}/email/attachments/download/?id={id}", Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("Quarterly report.pdf", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("bytes", download.Headers.AcceptRanges.Single());

        // The docs' aliases: same slices, the other field names.
        var alias = await UploadAsync(user.Client, "hello"u8.ToArray(), "hello.txt", "text/plain", "email/upload-attachment/");
        var aliasId = alias.GetProperty("attachment_id").GetInt64();
        Assert.Equal(5, alias.GetProperty("size_bytes").GetInt64());
        Assert.Equal("hello"u8.ToArray(), await user.Client.GetByteArrayAsync($"{Root}/email/download-attachment/?attachment_id={aliasId}", Ct));
    }

    [Fact]
    public async Task Range_requests_get_206_with_exactly_those_bytes_and_416_outside_the_file()
    {
        var user = await ClientMailboxAsync("user");
        var content = RandomBytes((1024 * 1024) + 999);
        var id = (await UploadAsync(user.Client, content, "data.bin", "application/octet-stream")).GetProperty("id").GetInt64();
        var url = $"{Root}/email/attachments/download/?id={id}";

        // Across the boundary of the first 512 KiB storage chunk.
        await AssertRangeAsync(user.Client, url, content, 524_000, 525_000);
        await AssertRangeAsync(user.Client, url, content, 0, 0);
        await AssertRangeAsync(user.Client, url, content, content.Length - 100, content.Length - 1);

        using var outside = new HttpRequestMessage(HttpMethod.Get, url);
        outside.Headers.Range = new RangeHeaderValue(content.Length + 10, content.Length + 20);
        var refused = await user.Client.SendAsync(outside, Ct);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, refused.StatusCode);
        Assert.Equal($"bytes */{content.Length}", refused.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Attachments_of_stored_messages_answer_range_requests_too()
    {
        var sender = await ClientMailboxAsync("sender");
        var to = await ClientMailboxAsync("to", sender.Org);
        var subject = Unique("Ranged");
        var file = RandomBytes(200_000);
        await TestApi.ReadAsync(await sender.Client.PostAsJsonAsync($"{Root}/email/send/", new
        {
            to_emails = new[] { to.Address },
            subject,
            body = "file",
            attachments = new[] { new { filename = "blob.bin", content_type = "application/octet-stream", content_base64 = Convert.ToBase64String(file) } },
        }, Ct), HttpStatusCode.OK);

        var received = await Mail.MailKitTestKit.WaitForMessageAsync(to.Client, "INBOX", m => Mail.MailKitTestKit.Subject(m) == subject, Ct);
        var messageId = received.GetProperty("id").GetString();
        var detail = await TestApi.ReadAsync(await to.Client.GetAsync($"{Root}/email/messages/{messageId}/", Ct), HttpStatusCode.OK);
        var part = detail.GetProperty("attachments")[0].GetProperty("id").GetString();
        var url = $"{Root}/email/messages/{messageId}/attachments/{part}/";

        Assert.Equal(file, await to.Client.GetByteArrayAsync(url, Ct));
        await AssertRangeAsync(to.Client, url, file, 150_000, 199_999);
        using var outside = new HttpRequestMessage(HttpMethod.Get, url);
        outside.Headers.Range = new RangeHeaderValue(300_000, null);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await to.Client.SendAsync(outside, Ct)).StatusCode);
    }

    [Fact]
    public async Task Another_users_upload_is_404_and_a_missing_file_or_id_is_400()
    {
        var owner = await ClientMailboxAsync("owner");
        var other = await ClientMailboxAsync("other", owner.Org);
        var id = (await UploadAsync(owner.Client, "secret"u8.ToArray(), "secret.txt", "text/plain")).GetProperty("id").GetInt64();

        await TestApi.AssertErrorAsync(await other.Client.GetAsync($"{Root}/email/attachments/download/?id={id}", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await other.Client.GetAsync($"{Root}/email/download-attachment/?attachment_id={id}", Ct), HttpStatusCode.NotFound);
        await TestApi.AssertErrorAsync(await owner.Client.GetAsync($"{Root}/email/attachments/download/?id=987654321", Ct), HttpStatusCode.NotFound);

        await TestApi.AssertErrorAsync(await owner.Client.GetAsync($"{Root}/email/attachments/download/", Ct), HttpStatusCode.BadRequest, "id");
        await TestApi.AssertErrorAsync(await owner.Client.GetAsync($"{Root}/email/download-attachment/?attachment_id=abc", Ct), HttpStatusCode.BadRequest, "id");

        using var noFile = new MultipartFormDataContent { { new StringContent("just a field"), "note" } };
        await TestApi.AssertErrorAsync(await owner.Client.PostAsync($"{Root}/email/attachments/upload/", noFile, Ct), HttpStatusCode.BadRequest, "file");
        await TestApi.AssertErrorAsync(await owner.Client.PostAsJsonAsync($"{Root}/email/upload-attachment/", new { file = "x" }, Ct), HttpStatusCode.BadRequest, "file");
    }

    [Fact]
    public async Task A_file_over_the_limit_is_413_and_leaves_nothing_stored()
    {
        var user = await ClientMailboxAsync("user");
        var me = await TestApi.ReadAsync(await user.Client.GetAsync($"{Root}/auth/me/", Ct), HttpStatusCode.OK);
        var userId = me.GetProperty("id").GetInt64();

        var refused = await user.Client.PostAsync($"{Root}/email/attachments/upload/", Form(RandomBytes((18 * 1024 * 1024) + 1), "huge.bin"), Ct);
        await TestApi.AssertErrorAsync(refused, HttpStatusCode.RequestEntityTooLarge, "limit");
        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM mail.uploads WHERE owner_user_id = $1", userId));

        // Exactly the limit is allowed.
        var atLimit = await UploadAsync(user.Client, RandomBytes(18 * 1024 * 1024), "limit.bin", "application/octet-stream");
        Assert.Equal(18 * 1024 * 1024, atLimit.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task File_names_lose_paths_and_control_characters()
    {
        var user = await ClientMailboxAsync("user");
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent("x"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileNameStar = "../../etc/pass\u0007wd\u202Etxt.exe" };
        form.Add(file);

        var uploaded = await TestApi.ReadAsync(await user.Client.PostAsync($"{Root}/email/attachments/upload/", form, Ct), HttpStatusCode.OK);
        Assert.Equal("passwdtxt.exe", uploaded.GetProperty("filename").GetString());
    }

    [Fact]
    public async Task An_upload_unused_for_the_lifetime_is_removed_by_the_janitor()
    {
        var user = await ClientMailboxAsync("user");
        var unused = (await UploadAsync(user.Client, RandomBytes(700_000), "old.bin", "application/octet-stream")).GetProperty("id").GetInt64();
        var fresh = (await UploadAsync(user.Client, "fresh"u8.ToArray(), "fresh.txt", "text/plain")).GetProperty("id").GetInt64();
        await ApiFactory.ScalarAsync("UPDATE mail.uploads SET last_used_at = now() - interval '25 hours' WHERE id = $1", unused);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await StatusAsync() != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired upload is still served after 15 s");
            await Task.Delay(250, Ct);
        }

        Assert.Equal(0L, await ApiFactory.ScalarAsync("SELECT count(*) FROM mail.upload_chunks WHERE upload_id = $1", unused));
        Assert.Equal("fresh"u8.ToArray(), await user.Client.GetByteArrayAsync($"{Root}/email/attachments/download/?id={fresh}", Ct));

        // A download that the janitor overtakes mid-file ends cut short ("no longer stored"): the file is going, poll again.
        async Task<HttpStatusCode?> StatusAsync()
        {
            try
            {
                return (await user.Client.GetAsync($"{Root}/email/attachments/download/?id={unused}", Ct)).StatusCode;
            }
            catch (HttpRequestException ex) when (ex.InnerException is IOException)
            {
                return null;
            }
        }
    }

    private static MultipartFormDataContent Form(byte[] content, string fileName)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        return form;
    }

    private static async Task AssertRangeAsync(HttpClient client, string url, byte[] content, long from, long to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(from, to);
        var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {from}-{to}/{content.Length}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(content[(int)from..((int)to + 1)], await response.Content.ReadAsByteArrayAsync(Ct));
    }
}

using System.Net;
using System.Text.Json;

namespace Fayvad.Api.Tests.Mail;

public sealed class SearchTests(ApiFactory factory) : MailTest(factory)
{
    private async Task<List<string>> SearchAsync(Mailbox box, string query)
    {
        var body = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?{query}", Ct), HttpStatusCode.OK);
        return body.GetProperty("messages").EnumerateArray().Select(MailKitTestKit.Subject).ToList();
    }

    [Fact]
    public async Task Text_search_hits_subject_body_and_sender_across_folders()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [
            MailKitTestKit.Message("x@example.com", box.Address, "Quarterly zebra report", "nothing here"),
            MailKitTestKit.Message("x@example.com", box.Address, "plain subject", "the zebra is in the body"),
            MailKitTestKit.Message("zebra.keeper@example.com", box.Address, "from the keeper", "hello"),
            MailKitTestKit.Message("x@example.com", box.Address, "unrelated", "giraffe"),
        ], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "Sent", [MailKitTestKit.Message(box.Address, "y@example.com", "sent about zebra", "x")], Ct);

        var all = await SearchAsync(box, "query=zebra");
        Assert.Equal(new[] { "from the keeper", "plain subject", "Quarterly zebra report", "sent about zebra" }.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));

        var inboxOnly = await SearchAsync(box, "query=zebra&folder=INBOX");
        Assert.DoesNotContain("sent about zebra", inboxOnly);
        Assert.Equal(3, inboxOnly.Count);

        var body = await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/search/?query=zebra&limit=2", Ct), HttpStatusCode.OK);
        Assert.Equal("zebra", body.GetProperty("query").GetString());
        Assert.Equal(4, body.GetProperty("total").GetInt32());
        Assert.True(body.GetProperty("has_next").GetBoolean());
        Assert.Equal(2, body.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task Filters_narrow_the_search()
    {
        var box = await MailboxAsync();
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("anne@example.com", box.Address, "budget draft", "numbers")], Ct);
        await MailKitTestKit.AppendAsync(box.Address, "INBOX", [MailKitTestKit.Message("ben@example.com", box.Address, "budget final", "numbers")], Ct, MailKit.MessageFlags.Seen | MailKit.MessageFlags.Flagged);

        Assert.Equal(["budget draft"], await SearchAsync(box, "query=budget&from=anne"));
        Assert.Equal(["budget draft"], await SearchAsync(box, "query=budget&unread=true"));
        Assert.Equal(["budget final"], await SearchAsync(box, "query=budget&starred=true"));
        Assert.Equal(["budget final"], await SearchAsync(box, "subject=final"));
        Assert.Empty(await SearchAsync(box, "query=budget&before=2000-01-01"));
        Assert.Equal(2, (await SearchAsync(box, $"query=budget&since={DateTime.UtcNow:yyyy-MM-dd}")).Count);
    }

    [Theory]
    [InlineData("", "query")]
    [InlineData("query=x&since=yesterday", "since")]
    [InlineData("query=x&limit=1000", "limit")]
    public async Task Bad_searches_are_400(string query, string mentions)
    {
        var box = await MailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/search/?{query}", Ct), HttpStatusCode.BadRequest, mentions);
    }

    [Fact]
    public async Task Unknown_folder_is_404()
    {
        var box = await MailboxAsync();
        await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/search/?query=x&folder=Nope", Ct), HttpStatusCode.NotFound);
    }
}

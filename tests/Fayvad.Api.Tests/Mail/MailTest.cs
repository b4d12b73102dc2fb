namespace Fayvad.Api.Tests.Mail;

public sealed record Mailbox(HttpClient Client, string Address, TestOrg Org);

/// <summary>Mail tests run against the real Dovecot and Postfix; each test gets fresh mailboxes in a fresh organization.</summary>
public abstract class MailTest(ApiFactory factory) : ApiTest(factory)
{
    protected async Task<Mailbox> MailboxAsync(string local = "user", TestOrg? org = null, int? quotaMb = null)
    {
        org ??= await Api.CreateOrgAsync();
        var admin = await Api.AsAsync(org.AdminUsername);
        var address = $"{local}@{org.Domain}";
        await Api.CreateAccountAsync(admin, address, quotaMb);
        return new Mailbox(await Api.AsAsync(address), address, org);
    }

    protected static string Unique(string text) => $"{text} {Guid.NewGuid():N}"[..(text.Length + 9)];
}

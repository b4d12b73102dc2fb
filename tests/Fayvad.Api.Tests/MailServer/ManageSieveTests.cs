using System.Net;
using System.Net.Http.Json;
using Fayvad.Api.Tests.Mail;

namespace Fayvad.Api.Tests.MailServer;

/// <summary>
/// A user's own Sieve scripts, as any ManageSieve client (Thunderbird, Roundcube) manages them on the stack's Dovecot:
/// logged in with the user's password, checked by the server, and run at delivery between the stack's own duplicate
/// check and spam filing.
/// </summary>
public sealed class ManageSieveTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task A_script_uploaded_by_a_sieve_client_files_a_senders_mail_into_a_folder_at_delivery()
    {
        var box = await MailboxAsync("sieve");
        await TestApi.ReadAsync(await box.Client.PostAsJsonAsync($"{Root}/email/folders/", new { name = "Receipts" }, Ct), HttpStatusCode.Created);
        const string Script = """
            require ["fileinto"];
            # Receipts from the shop
            if address :is "from" "shop@partner.example" {
              fileinto "Receipts";
            }
            """;

        await using (var sieve = await ManageSieve.LoginAsync(box.Address, TestApi.Password, Ct))
        {
            Assert.Contains(sieve.Capabilities, c => c.StartsWith("\"SIEVE\"", StringComparison.Ordinal) && c.Contains("fileinto", StringComparison.Ordinal));
            Assert.True((await sieve.PutScriptAsync("rules", Script)).Ok);
            Assert.True((await sieve.SetActiveAsync("rules")).Ok);
            Assert.Contains("\"rules\" ACTIVE", (await sieve.ListScriptsAsync()).Data);
            Assert.Equal(Script, await sieve.GetScriptAsync("rules"));
        }

        var receipt = Unique("Your receipt");
        var note = Unique("Lunch");
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("shop@partner.example", box.Address, receipt, "Thank you for your order."), Ct);
        await MailKitTestKit.DeliverAsync(MailKitTestKit.Message("friend@partner.example", box.Address, note, "Lunch on Friday?"), Ct);

        await MailKitTestKit.WaitForMessageAsync(box.Client, "Receipts", m => MailKitTestKit.Subject(m) == receipt, Ct);
        await MailKitTestKit.WaitForMessageAsync(box.Client, "INBOX", m => MailKitTestKit.Subject(m) == note, Ct);
        await MailProbe.SettledAsync(Ct, box.Address);
        Assert.DoesNotContain(await MailKitTestKit.ListAsync(box.Client, "INBOX", Ct), m => MailKitTestKit.Subject(m) == receipt);
        Assert.DoesNotContain(await MailKitTestKit.ListAsync(box.Client, "Receipts", Ct), m => MailKitTestKit.Subject(m) == note);
    }

    [Fact]
    public async Task The_server_refuses_a_broken_script_naming_the_line_and_the_active_script_stays()
    {
        var box = await MailboxAsync("sieve");
        const string Good = "require [\"fileinto\"];\nif header :contains \"subject\" \"[list]\" { fileinto \"Lists\"; }\n";
        const string Broken = "require [\"fileinto\"];\nif header :contains \"subject\" {\n  fileinto \"Lists\";\n}\n";

        await using var sieve = await ManageSieve.LoginAsync(box.Address, TestApi.Password, Ct);
        Assert.True((await sieve.PutScriptAsync("rules", Good)).Ok);
        Assert.True((await sieve.SetActiveAsync("rules")).Ok);

        var checkedScript = await sieve.CheckScriptAsync(Broken);
        Assert.False(checkedScript.Ok);
        Assert.Contains("line 2", checkedScript.Text, StringComparison.Ordinal);

        var put = await sieve.PutScriptAsync("rules", Broken);
        Assert.False(put.Ok);
        Assert.Equal(Good, await sieve.GetScriptAsync("rules"));
    }

    [Fact]
    public async Task A_users_script_cannot_run_programs_on_the_server()
    {
        var box = await MailboxAsync("sieve");
        await using var sieve = await ManageSieve.LoginAsync(box.Address, TestApi.Password, Ct);

        var piped = await sieve.CheckScriptAsync("require \"vnd.dovecot.pipe\";\npipe \"rspamc-learn\";\n");

        Assert.False(piped.Ok);
        Assert.Contains("vnd.dovecot.pipe", piped.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_the_scripts_stay_out_of_reach()
    {
        var box = await MailboxAsync("sieve");
        await using var sieve = await ManageSieve.ConnectAsync(Ct);

        var login = await sieve.AuthenticateAsync(box.Address, TestApi.Password + "x");

        Assert.False(login.Ok);
        Assert.False((await sieve.ListScriptsAsync()).Ok);
    }
}

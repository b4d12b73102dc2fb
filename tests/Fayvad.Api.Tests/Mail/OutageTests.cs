using System.Diagnostics;
using System.Net;

namespace Fayvad.Api.Tests.Mail;

/// <summary>Stops the shared Dovecot, so nothing else may run meanwhile.</summary>
[CollectionDefinition(nameof(MailServerOutage), DisableParallelization = true)]
public sealed class MailServerOutage;

[Collection(nameof(MailServerOutage))]
public sealed class OutageTests(ApiFactory factory) : MailTest(factory)
{
    [Fact]
    public async Task With_dovecot_stopped_mail_answers_503_and_recovers_without_restarting_the_api()
    {
        var box = await MailboxAsync();
        await TestApi.ReadAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.OK);

        await RunAsync("doveadm", "-c", StackSettings.Get("DOVECOT_CONF"), "stop");
        try
        {
            // doveadm stop only signals the master: wait until the server is really gone.
            var gone = DateTime.UtcNow.AddSeconds(10);
            while (await ImapAnswersAsync() && DateTime.UtcNow < gone)
            {
                await Task.Delay(100, Ct);
            }

            Assert.False(await ImapAnswersAsync(), "Dovecot did not stop");

            // Authenticated imap processes outlive the master; a stopped server has none left.
            await RunAsync("bash", "-c", "pkill -f '^dovecot-fayvad/imap' || true");

            // A session already open may outlive the master for a moment; after that every answer is a clear 503.
            var deadline503 = DateTime.UtcNow.AddSeconds(10);
            HttpResponseMessage response;
            do
            {
                response = await box.Client.GetAsync($"{Root}/email/folders/", Ct);
            }
            while (response.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline503 && await Delay());
            await TestApi.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "mail server");
            await TestApi.AssertErrorAsync(await box.Client.GetAsync($"{Root}/email/folders/", Ct), HttpStatusCode.ServiceUnavailable, "mail server");

            // No send here: a submission attempt while Dovecot's auth socket is gone makes Postfix throttle its
            // submission service for 60 s (see the closing note), which would fail unrelated tests after this one.
        }
        finally
        {
            // Through a shell with its output elsewhere, so the daemon does not hold this process's pipes open.
            await RunAsync("bash", "-c", $"dovecot -c '{StackSettings.Get("DOVECOT_CONF")}' </dev/null >/dev/null 2>&1");
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, Ct);
            status = (await box.Client.GetAsync($"{Root}/email/folders/", Ct)).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200, TestContext.Current.CancellationToken);
        return true;
    }

    private static async Task<bool> ImapAnswersAsync()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", MailKitTestKit.ImapPort, TestContext.Current.CancellationToken);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {output}");
    }
}

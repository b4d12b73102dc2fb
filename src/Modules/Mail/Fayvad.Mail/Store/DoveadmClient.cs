using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fayvad.Shared.Results;
using Microsoft.Extensions.Options;

namespace Fayvad.Mail.Store;

/// <summary>One doveadm command as the HTTP API takes it: its name (e.g. "mailboxDelete") and named parameters.</summary>
internal sealed record DoveadmCommand(string Name, IReadOnlyDictionary<string, object> Parameters);

/// <summary>A command's answer: its output, or the doveadm exit code it failed with (67 no such user, 68 not found).</summary>
internal sealed record DoveadmReply(JsonElement Output, int? ExitCode)
{
    public const int NoSuchUser = 67;
    public const int NotFound = 68;

    public bool Succeeded => ExitCode is null;
}

/// <summary>
/// Dovecot's doveadm HTTP API (POST [[command, parameters, tag], ...], key in "Authorization: X-Dovecot-API").
/// Every doveadm command Dovecot's own admin tool has, run by Dovecot itself, so mail is only ever changed by Dovecot.
/// </summary>
internal sealed class DoveadmClient(HttpClient http, IOptions<MailOptions> options)
{
    private readonly DoveadmOptions _options = options.Value.Doveadm;

    public bool Configured => _options.Url.Length > 0 && _options.ApiKey.Length > 0;

    public async Task<DoveadmReply> RunAsync(DoveadmCommand command, CancellationToken cancellationToken) =>
        (await RunAsync([command], cancellationToken))[0];

    /// <summary>Runs the commands in order in one request; a failed command does not stop the next.</summary>
    public async Task<IReadOnlyList<DoveadmReply>> RunAsync(IReadOnlyList<DoveadmCommand> commands, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            throw new DependencyUnavailableException("The mail server's admin API is not configured (Mail:Doveadm:Url and Mail:Doveadm:ApiKey).");
        }

        using var activity = MailTracing.Source.StartActivity("doveadm", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("fayvad.doveadm.commands", string.Join(',', commands.Select(c => c.Name).Distinct()));
        activity?.SetTag("fayvad.doveadm.count", commands.Count);
        var body = commands.Select((c, i) => new object[] { c.Name, c.Parameters, "c" + i }).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("X-Dovecot-API", Convert.ToBase64String(Encoding.UTF8.GetBytes(_options.ApiKey)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        JsonElement answer;
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new DependencyUnavailableException($"The mail server's admin API refused the request ({(int)response.StatusCode}).");
            }

            answer = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new DependencyUnavailableException("The mail server's admin API is not reachable.", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DependencyUnavailableException("The mail server's admin API did not answer in time.", ex);
        }
        catch (JsonException ex)
        {
            throw new DependencyUnavailableException("The mail server's admin API gave an unreadable answer.", ex);
        }

        var replies = new DoveadmReply[commands.Count];
        foreach (var reply in answer.EnumerateArray())
        {
            var index = int.Parse(reply[2].GetString()!.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            replies[index] = reply[0].GetString() == "error"
                ? new DoveadmReply(reply[1], reply[1].TryGetProperty("exitCode", out var code) ? code.GetInt32() : -1)
                : new DoveadmReply(reply[1].Clone(), null);
        }

        return Array.IndexOf(replies, null) is var missing and >= 0
            ? throw new DependencyUnavailableException($"The mail server's admin API did not answer command {commands[missing].Name}.")
            : replies;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fayvad.Api.Tests.Mail;

namespace Fayvad.Api.Tests.Hostile;

/// <summary>Who sends a hostile request.</summary>
public enum Caller
{
    Anonymous,
    Superadmin,

    /// <summary>The org admin of organization A, the attacker of organization B's objects.</summary>
    AdminA,

    /// <summary>A mailbox user of organization A.</summary>
    UserA,
}

/// <summary>
/// The objects hostile requests aim at, made once for the whole suite: organization A (attacker: an admin, a mailbox
/// user with a draft and an upload, a second account) and organization B (victim: its domain, accounts, users,
/// webhook, draft and upload).
/// </summary>
public sealed class HostileWorld
{
    /// <summary>In every name a hostile create sends, so a row it left behind is found (and the run's cleanup removes it).</summary>
    public static readonly string Marker = ApiFactory.RunPrefix + "hx";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Task<HostileWorld>? _instance;

    public required TestOrg OrgA { get; init; }
    public required TestOrg OrgB { get; init; }
    public required HttpClient Anonymous { get; init; }
    public required HttpClient Superadmin { get; init; }
    public required HttpClient AdminA { get; init; }
    public required HttpClient UserA { get; init; }
    public required string UserAAddress { get; init; }
    public required IReadOnlyDictionary<string, string> Ids { get; init; }

    public HttpClient ClientOf(Caller caller) => caller switch
    {
        Caller.Anonymous => Anonymous,
        Caller.Superadmin => Superadmin,
        Caller.AdminA => AdminA,
        _ => UserA,
    };

    /// <summary>Fills {name} placeholders of a path or body with the ids of this world.</summary>
    public string Fill(string text)
    {
        foreach (var (name, value) in Ids)
        {
            text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Made once; a failure to make it fails every case at once, not one setup per case.</summary>
    public static async Task<HostileWorld> GetAsync(ApiFactory factory)
    {
        await Gate.WaitAsync();
        try
        {
            _instance ??= CreateAsync(new TestApi(factory));
        }
        finally
        {
            Gate.Release();
        }

        return await _instance;
    }

    private static async Task<HostileWorld> CreateAsync(TestApi api)
    {
        var orgA = await api.CreateOrgAsync();
        var orgB = await api.CreateOrgAsync();
        var adminA = await api.AsAsync(orgA.AdminUsername);
        var adminB = await api.AsAsync(orgB.AdminUsername);
        var userAAddress = "user@" + orgA.Domain;
        var acctA = await api.CreateAccountAsync(adminA, userAAddress);
        var acctA2 = await api.CreateAccountAsync(adminA, "second@" + orgA.Domain);
        var acctB = await api.CreateAccountAsync(adminB, "victim@" + orgB.Domain);
        var userA = await api.AsAsync(userAAddress);
        var aliasA = await TestApi.ReadAsync(await adminA.PostAsJsonAsync($"{TestApi.Root}/org/aliases/",
            new { address = "team@" + orgA.Domain, recipients = new[] { userAAddress } }), HttpStatusCode.Created);
        var aliasB = await TestApi.ReadAsync(await adminB.PostAsJsonAsync($"{TestApi.Root}/org/aliases/",
            new { address = "team@" + orgB.Domain, recipients = new[] { "victim@" + orgB.Domain } }), HttpStatusCode.Created);
        var userB = await api.AsAsync("victim@" + orgB.Domain);

        var webhookB = await TestApi.ReadAsync(await adminB.PostAsJsonAsync($"{TestApi.Root}/webhooks/",
            new { url = "http://127.0.0.1:9/b", events = new[] { "message.new" }, secret = "0123456789abcdef-b" }), HttpStatusCode.Created);
        var draftA = await TestApi.ReadAsync(await userA.PostAsJsonAsync($"{TestApi.Root}/email/drafts/save/",
            new { to_recipients = new[] { "victim@" + orgB.Domain }, subject = "Draft A", body = "<p>a</p>" }), HttpStatusCode.OK);
        var draftB = await TestApi.ReadAsync(await userB.PostAsJsonAsync($"{TestApi.Root}/email/drafts/save/",
            new { to_recipients = new[] { userAAddress }, subject = "Draft B", body = "<p>b</p>" }), HttpStatusCode.OK);
        var uploadB = await UploadAsync(userB, "b.txt");
        var uploadA = await UploadAsync(userA, "a.txt");
        var webhookA = await TestApi.ReadAsync(await adminA.PostAsJsonAsync($"{TestApi.Root}/webhooks/",
            new { url = "http://127.0.0.1:9/a", events = new[] { "message.new" }, secret = "0123456789abcdef-a" }), HttpStatusCode.Created);
        await TestApi.ReadAsync(await userA.PostAsJsonAsync($"{TestApi.Root}/email/folders/", new { name = "Keep" }), HttpStatusCode.Created);
        var subject = "Hostile base " + Guid.NewGuid().ToString("N");
        await MailKitTestKit.AppendAsync(userAAddress, "INBOX",
            [MailKitTestKit.Message("victim@" + orgB.Domain, userAAddress, subject, "A message to aim at.")], CancellationToken.None);
        var messageA = await MailKitTestKit.WaitForMessageAsync(userA, "INBOX", m => MailKitTestKit.Subject(m) == subject, CancellationToken.None);

        return new HostileWorld
        {
            OrgA = orgA,
            OrgB = orgB,
            Anonymous = api.Anonymous(),
            Superadmin = await api.SuperadminAsync(),
            AdminA = adminA,
            UserA = userA,
            UserAAddress = userAAddress,
            Ids = new Dictionary<string, string>
            {
                ["orgA"] = orgA.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["orgB"] = orgB.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["domainA"] = orgA.DomainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["domainB"] = orgB.DomainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["domainNameA"] = orgA.Domain,
                ["domainNameB"] = orgB.Domain,
                ["acctA"] = Id(acctA),
                ["acctA2"] = Id(acctA2),
                ["acctB"] = Id(acctB),
                ["aliasA"] = Id(aliasA),
                ["aliasB"] = Id(aliasB),
                ["userA"] = Id(acctA, "user_id"),
                ["userB"] = orgB.AdminUserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["webhookB"] = Id(webhookB),
                ["draftA"] = Id(draftA),
                ["draftB"] = Id(draftB),
                ["uploadA"] = uploadA,
                ["userA2"] = Id(acctA2, "user_id"),
                ["webhookA"] = Id(webhookA),
                ["messageA"] = messageA.GetProperty("id").GetString()!,
                ["userAAddress"] = userAAddress,
                ["uploadB"] = uploadB,
                ["marker"] = Marker,
            },
        };
    }

    private static string Id(JsonElement element, string name = "id") =>
        element.GetProperty(name).GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> UploadAsync(HttpClient client, string name)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent("hello"u8.ToArray()), "file", name);
        var upload = await TestApi.ReadAsync(await client.PostAsync($"{TestApi.Root}/email/attachments/upload/", form), HttpStatusCode.OK);
        return Id(upload);
    }

    /// <summary>
    /// Everything a hostile write could change: the rows of both organizations (their domains, accounts, users,
    /// webhooks, uploads; not login times), rows anywhere named with <paramref name="marker"/>, and for mail requests the
    /// user's folders with their message counts.
    /// </summary>
    public async Task<string> FingerprintAsync(string marker, bool mail)
    {
        var ids = new[] { OrgA.Id, OrgB.Id };
        var sql = $"""
            SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) || ':' || (
                SELECT count(*) FROM directory.organizations WHERE name LIKE '%{marker}%' OR slug LIKE '%{marker}%') + (
                SELECT count(*) FROM directory.domains WHERE name LIKE '%{marker}%') + (
                SELECT count(*) FROM directory.users WHERE username LIKE '%{marker}%' OR first_name LIKE '%{marker}%') + (
                SELECT count(*) FROM directory.email_accounts WHERE address LIKE '%{marker}%') + (
                SELECT count(*) FROM directory.aliases WHERE address LIKE '%{marker}%' OR description LIKE '%{marker}%') + (
                SELECT count(*) FROM sync.webhooks WHERE url LIKE '%{marker}%')
            FROM (
                SELECT o::text x FROM directory.organizations o WHERE o.id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT d::text FROM directory.domains d WHERE d.organization_id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT a::text FROM directory.email_accounts a JOIN directory.domains d ON d.id = a.domain_id
                    WHERE d.organization_id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT (u.id, u.username, u.email, u.first_name, u.last_name, u.role, u.password_hash, u.is_active,
                    u.language, u.phone_number, u.secondary_email, u.tfa_enabled, u.deleted_at)::text
                    FROM directory.users u WHERE u.organization_id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT al::text FROM directory.aliases al JOIN directory.domains d ON d.id = al.domain_id
                    WHERE d.organization_id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT w::text FROM sync.webhooks w WHERE w.organization_id IN ({ids[0]}, {ids[1]})
                UNION ALL SELECT (up.id, up.owner_user_id)::text FROM mail.uploads up
                    WHERE up.owner_user_id IN (SELECT id FROM directory.users WHERE organization_id IN ({ids[0]}, {ids[1]}))
            ) t
            """;
        var rows = (string)(await ApiFactory.ScalarAsync(sql))!;
        if (!mail)
        {
            return rows;
        }

        var folders = await UserA.GetStringAsync($"{TestApi.Root}/email/folders/");
        var summary = string.Join(",", JsonDocument.Parse(folders).RootElement.GetProperty("folders").EnumerateArray()
            .Select(f => $"{f.GetProperty("id").GetString()}={f.GetProperty("total_count").GetInt32()}").Order(StringComparer.Ordinal));
        return rows + " " + summary;
    }
}

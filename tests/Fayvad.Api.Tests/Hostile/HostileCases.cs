using System.Text;

namespace Fayvad.Api.Tests.Hostile;

/// <summary>
/// One hostile request. <paramref name="Path"/> and <paramref name="Body"/> hold {placeholders} of <see cref="HostileWorld"/>;
/// <paramref name="Body"/> is raw JSON text (escapes such as <c>\u0000</c> and <c>\ud800</c> reach the server as sent),
/// <paramref name="RawBody"/> raw bytes (invalid UTF-8). <paramref name="Mail"/>: the user's folders count as state too.
/// </summary>
public sealed record HostileCase(
    string Name, Caller Caller, string Method, string Path, string? Body = null, bool Mail = false,
    string ContentType = "application/json", byte[]? RawBody = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public bool IsWrite => Method != "GET";

    public override string ToString() => Name;
}

/// <summary>What a field holds, which decides the hostile values sent in its place.</summary>
public enum Kind
{
    /// <summary>A single-line string: a name, subject, address, password, URL or folder.</summary>
    Line,

    /// <summary>A multi-line string (a mail body): line breaks are fine, NUL and broken Unicode are not.</summary>
    Text,
    Number,
    Bool,
    StringList,
    IdList,

    /// <summary>Inline files: a list of {filename, content_type, content_base64} objects.</summary>
    FileList,
}

public sealed record Field(string Name, Kind Kind, string Json);

/// <summary>
/// Builds the suite: for every JSON write route, broken bodies (malformed, wrong top-level type, too deep, empty, not
/// JSON, invalid UTF-8) and, field by field, the hostile values of its kind (NUL, lone surrogate, CRLF, 1 MB, wrong JSON
/// types, 10^30); for reads, overflowing pages, odd dates, control characters in parameters; then forged and other
/// organizations' ids on every route that takes an id, and internal webhook targets.
/// </summary>
public static class HostileCases
{
    private static readonly string Megabyte = new('x', 1024 * 1024);

    public static IReadOnlyList<HostileCase> All { get; } = Build();

    private static Field L(string name, string value) => new(name, Kind.Line, Quote(value));
    private static Field T(string name, string value) => new(name, Kind.Text, Quote(value));
    private static Field I(string name, string value) => new(name, Kind.Number, value);
    private static Field B(string name, bool value) => new(name, Kind.Bool, value ? "true" : "false");
    private static Field S(string name, params string[] values) => new(name, Kind.StringList, "[" + string.Join(",", values.Select(Quote)) + "]");
    private static Field Ids(string name, params string[] values) => new(name, Kind.IdList, "[" + string.Join(",", values) + "]");
    private static Field Files(string name) => new(name, Kind.FileList, "[]");

    private static string Quote(string value) => "\"" + value + "\"";

    private static string Object(IEnumerable<Field> fields) => "{" + string.Join(",", fields.Select(f => Quote(f.Name) + ":" + f.Json)) + "}";

    private static List<HostileCase> Build()
    {
        var cases = new List<HostileCase>();
        var marker = "{marker}";

        // ---- JSON write routes, each with a body that would be accepted; every case breaks one thing in it.
        var writes = new List<(string Method, string Path, Caller Caller, bool Mail, Field[] Fields)>
        {
            ("POST", "/auth/login/", Caller.Anonymous, false, [L("username", marker + "@nowhere.test"), L("password", "wrong-password-1")]),
            ("POST", "/email/auth/", Caller.UserA, false, [L("email", "{userAAddress}"), L("password", "wrong-password-1")]),
            ("POST", "/auth/change-password/", Caller.UserA, false, [L("current_password", "wrong-password-1"), L("new_password", "new-password-123")]),
            ("PATCH", "/auth/me/", Caller.UserA, false, [L("first_name", marker), L("last_name", "Me"), L("phone_number", "+1 555 0100"), L("language", "en"), B("tfa_enabled", true)]),
            ("PATCH", "/auth/me/update/", Caller.UserA, false, [L("first_name", marker), L("secondary_email", "me@example.com")]),
            ("POST", "/admin/organizations/", Caller.Superadmin, false, [L("name", marker + " Org"), L("domain_name", marker + "-org.test"), I("max_users", "5"), I("max_storage_gb", "1"), B("is_active", true)]),
            ("POST", "/admin/organizations/create/", Caller.Superadmin, false, [L("name", marker + " Org2"), L("domain_name", marker + "-org2.test"), I("max_users", "5"), I("max_storage_gb", "1")]),
            ("PATCH", "/admin/organizations/{orgB}/", Caller.Superadmin, false, [L("name", marker + " Renamed"), I("max_users", "7"), I("max_storage_gb", "2"), B("is_active", false)]),
            ("PUT", "/admin/organizations/{orgB}/", Caller.Superadmin, false, [L("name", marker + " Renamed"), I("max_users", "7"), I("max_storage_gb", "2")]),
            ("PATCH", "/admin/organizations/{orgB}/update/", Caller.Superadmin, false, [L("name", marker + " Renamed"), I("max_users", "7")]),
            ("PUT", "/admin/organizations/{orgB}/update/", Caller.Superadmin, false, [L("name", marker + " Renamed"), I("max_storage_gb", "3")]),
            ("POST", "/admin/organizations/bulk-suspend/", Caller.Superadmin, false, [Ids("ids", "{orgB}")]),
            ("POST", "/admin/organizations/bulk-activate/", Caller.Superadmin, false, [Ids("ids", "{orgB}")]),
            ("POST", "/domains/", Caller.Superadmin, false, [L("name", marker + "-dom.test"), I("organization_id", "{orgB}"), I("quota", "100"), I("default_mailbox_quota", "10")]),
            ("PATCH", "/domains/{domainB}/", Caller.Superadmin, false, [B("enabled", false), I("quota", "123"), I("default_mailbox_quota", "12")]),
            ("PUT", "/domains/{domainB}/", Caller.Superadmin, false, [L("name", "{domainNameB}"), B("enabled", false), I("quota", "124")]),
            ("POST", "/organization-admins/", Caller.Superadmin, false, [I("organization_id", "{orgB}"), L("email", marker + "adm@{domainNameB}"), L("password", "correct-horse-9"), L("first_name", marker), L("last_name", "Admin")]),
            ("POST", "/users/", Caller.Superadmin, false, [L("username", marker + "user"), L("email", marker + "user@example.com"), L("password", "correct-horse-9"), L("first_name", marker), L("last_name", "User"), B("is_active", true)]),
            ("PATCH", "/users/{userA2}/", Caller.AdminA, false, [L("first_name", marker), L("last_name", "X"), B("is_active", false), L("phone_number", "+1 555"), L("language", "en")]),
            ("PUT", "/users/{userA2}/", Caller.AdminA, false, [L("first_name", marker), L("last_name", "X"), L("email", "other@example.com")]),
            ("POST", "/org/email-accounts/", Caller.AdminA, false, [L("email", marker + "new@{domainNameA}"), L("password", "correct-horse-9"), L("first_name", marker), L("last_name", "New"), I("quota_mb", "10")]),
            ("POST", "/org/email-accounts/create/", Caller.AdminA, false, [L("username", marker + "new2"), L("password", "correct-horse-9"), L("first_name", marker), I("quota_mb", "10")]),
            ("PATCH", "/org/email-accounts/{acctA2}/", Caller.AdminA, false, [L("first_name", marker), L("last_name", "X"), L("display_name", marker + " D"), I("quota_mb", "20"), B("is_active", false)]),
            ("PUT", "/org/email-accounts/{acctA2}/", Caller.AdminA, false, [L("display_name", marker + " D"), I("quota", "21"), B("enabled", false)]),
            ("POST", "/org/email-accounts/{acctA2}/password/", Caller.AdminA, false, [L("password", "another-horse-9")]),
            ("POST", "/org/email-accounts/bulk-deactivate/", Caller.AdminA, false, [Ids("ids", "{acctA2}")]),
            ("POST", "/org/aliases/", Caller.AdminA, false, [L("address", marker + "al@{domainNameA}"), S("recipients", "{userAAddress}"), B("enabled", true),
                B("internal_only", false), L("description", marker)]),
            ("PATCH", "/org/aliases/{aliasA}/", Caller.AdminA, false, [S("recipients", "{userAAddress}"), B("enabled", false), B("internal_only", true), L("description", marker)]),
            ("PUT", "/org/aliases/{aliasA}/", Caller.AdminA, false, [L("address", "team@{domainNameA}"), S("recipients", "{userAAddress}"), B("enabled", false), L("description", marker)]),
            ("PUT", "/org/email-accounts/{acctA2}/forward/", Caller.AdminA, false, [S("recipients", "{userAAddress}"), B("keep_copy", false)]),
            ("POST", "/webhooks/", Caller.AdminA, false, [L("url", "http://127.0.0.1:9/" + marker), S("events", "message.new"), L("secret", "0123456789abcdef-x")]),
            ("POST", "/email/folders/", Caller.UserA, true, [L("name", marker + "F")]),
            ("PATCH", "/email/folders/", Caller.UserA, true, [L("folder", "Keep"), L("name", marker + "G")]),
            ("POST", "/email/actions/", Caller.UserA, true, [L("action", "move"), S("ids", "{messageA}"), L("folder", "Keep")]),
            ("POST", "/email/send/", Caller.UserA, true, [S("to_emails", "{userAAddress}"), S("cc_emails"), S("bcc_emails"), L("subject", marker + " hi"), T("body", "hello"),
                T("body_html", "<p>hello</p>"), T("in_reply_to", "<x@example.com>"), Ids("attachment_ids"), Files("attachments")]),
            ("POST", "/email/drafts/save/", Caller.UserA, true, [S("to_recipients", "{userAAddress}"), S("cc_recipients"), S("bcc_recipients"), L("subject", marker + " draft"),
                T("body", "<p>d</p>"), T("body_html", "<p>d</p>"), Ids("attachment_ids")]),
            ("POST", "/email/draft/", Caller.UserA, true, [S("to"), S("cc"), S("bcc"), L("subject", marker + " draft"), T("body", "<p>d</p>"), Ids("attachment_ids")]),
        };

        foreach (var (method, path, caller, mail, fields) in writes)
        {
            var route = $"{method} {path}";
            var firstLine = fields.FirstOrDefault(f => f.Kind == Kind.Line);
            cases.Add(new($"{route} malformed JSON", caller, method, path, "{\"" + fields[0].Name + "\": ", mail));
            cases.Add(new($"{route} array instead of object", caller, method, path, "[" + Object(fields) + "]", mail));
            cases.Add(new($"{route} string instead of object", caller, method, path, "\"text\"", mail));
            cases.Add(new($"{route} nested 5000 deep", caller, method, path,
                "{\"" + fields[0].Name + "\":" + new string('[', 5000) + new string(']', 5000) + "}", mail));
            cases.Add(new($"{route} empty body", caller, method, path, "", mail));
            cases.Add(new($"{route} text/plain", caller, method, path, Object(fields), mail, ContentType: "text/plain"));
            if (firstLine is not null)
            {
                var prefix = Encoding.UTF8.GetBytes("{\"" + firstLine.Name + "\":\"a");
                cases.Add(new($"{route} invalid UTF-8 in {firstLine.Name}", caller, method, path, null, mail,
                    RawBody: [.. prefix, 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes("\"}")]));
            }

            foreach (var field in fields)
            {
                foreach (var (what, json) in HostileValues(field))
                {
                    var body = Object(fields.Select(f => f == field ? f with { Json = json } : f));
                    cases.Add(new($"{route} {field.Name} {what}", caller, method, path, body, mail));
                }
            }
        }

        // Nested lists of the bulk account create.
        const string account = "\"username\":\"{marker}b\",\"email\":\"{marker}b@{domainNameA}\",\"password\":\"correct-horse-9\"";
        foreach (var (what, accounts) in new[]
        {
            ("object", "{}"), ("[null]", "[null]"), ("string", "\"x\""), ("[1]", "[1]"),
            ("NUL in username", "[{\"username\":\"a\\u0000b\",\"email\":\"{marker}b@{domainNameA}\",\"password\":\"correct-horse-9\"}]"),
            ("CRLF in first_name", "[{" + account + ",\"first_name\":\"a\\r\\nb\"}]"),
            ("lone surrogate in last_name", "[{" + account + ",\"last_name\":\"\\ud800\"}]"),
            ("quota_mb 10^30", "[{" + account + ",\"quota_mb\":1000000000000000000000000000000}]"),
            ("quota_mb string", "[{" + account + ",\"quota_mb\":\"lots\"}]"),
            ("quota_mb -1", "[{" + account + ",\"quota_mb\":-1}]"),
            ("address of another organization", "[{\"username\":\"{marker}c\",\"email\":\"{marker}c@{domainNameB}\",\"password\":\"correct-horse-9\"}]"),
        })
        {
            cases.Add(new($"POST /org/email-accounts/bulk-create/ accounts {what}", Caller.AdminA, "POST", "/org/email-accounts/bulk-create/",
                "{\"accounts\":" + accounts + "}"));
        }

        // ---- Webhook targets that are not public, or not a plain http(s) URL.
        foreach (var url in new[]
        {
            "http://10.0.0.1/hook", "http://192.168.1.10/hook", "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hook", "http://[fe80::1]/hook", "http://[fd00::1]/hook", "http://0.0.0.0/hook", "http://224.0.0.1/hook",
            "http://[::ffff:10.0.0.1]/hook", "http://100.64.0.1/hook", "ftp://example.com/hook", "file:///etc/passwd",
            "javascript:alert(1)", "https://user:pw@example.com/hook", "https://example.com/a\\r\\nX-Injected: 1", "/relative/hook",
            "http://metadata.google.internal/computeMetadata/v1/",
        })
        {
            cases.Add(new($"POST /webhooks/ url {url}", Caller.AdminA, "POST", "/webhooks/",
                "{\"url\":\"" + url + "\",\"events\":[\"message.new\"],\"secret\":\"0123456789abcdef-x\"}"));
        }

        // ---- Folders Dovecot refuses or that would escape their place.
        foreach (var (what, name) in new[]
        {
            ("'~'", "~{marker}"), ("'..'", ".."), ("'.'", "."), ("'a/b'", "a/b"), ("'*'", "*"), ("'%'", "%"),
            ("200 x 'ü'", string.Concat(Enumerable.Repeat("\\u00fc", 200))), ("DEL", "a\\u007fb"), ("tab", "a\\tb"),
("surrounding spaces", " x "), ("empty", ""), ("INBOX", "INBOX"),
        })
        {
            cases.Add(new($"POST /email/folders/ name {what}", Caller.UserA, "POST", "/email/folders/", "{\"name\":\"" + name + "\"}", true));
        }

        cases.Add(new("PATCH /email/folders/ rename INBOX", Caller.UserA, "PATCH", "/email/folders/", "{\"folder\":\"INBOX\",\"name\":\"{marker}I\"}", true));
        cases.Add(new("PATCH /email/folders/ rename a missing folder", Caller.UserA, "PATCH", "/email/folders/", "{\"folder\":\"{marker}none\",\"name\":\"{marker}I\"}", true));
        foreach (var (what, folder) in new[]
        {
            ("NUL", "a%00b"), ("CRLF", "a%0D%0Ab"), ("empty", ""), ("INBOX", "INBOX"), ("missing", "{marker}none"), ("1 MB", "x" + new string('y', 100_000)),
            ("lone surrogate (percent-encoded)", "%ED%A0%80"), ("wildcard", "*"),
        })
        {
            cases.Add(new($"DELETE /email/folders/ folder {what}", Caller.UserA, "DELETE", "/email/folders/?folder=" + folder, null, true));
        }

        // ---- Send: headers and special cases.
        cases.Add(new("POST /email/send/ Idempotency-Key of 1000 characters", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[\"{userAAddress}\"],\"subject\":\"{marker} k\",\"body\":\"b\"}", true,
            Headers: new Dictionary<string, string> { ["Idempotency-Key"] = new('k', 1000) }));
        cases.Add(new("POST /email/send/ attachment_ids of another user", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[\"{userAAddress}\"],\"subject\":\"{marker} a\",\"body\":\"b\",\"attachment_ids\":[{uploadB}]}", true));
        cases.Add(new("POST /email/send/ attachment_ids negative", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[\"{userAAddress}\"],\"subject\":\"{marker} a\",\"body\":\"b\",\"attachment_ids\":[-1]}", true));
        cases.Add(new("POST /email/send/ attachment content_base64 not base64", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[\"{userAAddress}\"],\"subject\":\"{marker} a\",\"attachments\":[{\"filename\":\"a.txt\",\"content_type\":\"text/plain\",\"content_base64\":\"%%%\"}]}", true));
        cases.Add(new("POST /email/send/ recipient with CRLF header", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[\"{userAAddress}\\r\\nBcc: x@example.com\"],\"subject\":\"{marker} a\",\"body\":\"b\"}", true));
        cases.Add(new("POST /email/send/ 10000 recipients", Caller.UserA, "POST", "/email/send/",
            "{\"to_emails\":[" + string.Join(",", Enumerable.Range(0, 10000).Select(i => $"\"u{i}@example.com\"")) + "],\"subject\":\"{marker} a\",\"body\":\"b\"}", true));
        cases.Add(new("POST /email/send/ multipart subject with NUL", Caller.UserA, "POST", "/email/send/", null, true,
            ContentType: "multipart/form-data; boundary=XyZ",
            RawBody: Encoding.UTF8.GetBytes("--XyZ\r\nContent-Disposition: form-data; name=\"to_emails\"\r\n\r\n{userAAddress}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\na\0b\r\n--XyZ--\r\n")));
        cases.Add(new("POST /email/send/ multipart cut short", Caller.UserA, "POST", "/email/send/", null, true,
            ContentType: "multipart/form-data; boundary=XyZ",
            RawBody: Encoding.UTF8.GetBytes("--XyZ\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nabc")));

        // ---- Drafts: forged, foreign and impossible ids.
        foreach (var (what, id) in new[] { ("of another user", "{draftB}"), ("negative", "-1"), ("zero", "0"), ("huge", "9223372036854775807"), ("10^30", "1000000000000000000000000000000"), ("string", "\"x\"") })
        {
            cases.Add(new($"POST /email/drafts/save/ id {what}", Caller.UserA, "POST", "/email/drafts/save/",
                "{\"id\":" + id + ",\"subject\":\"{marker} d\",\"body\":\"x\"}", true));
        }

        foreach (var id in new[] { "{draftB}", "-1", "0", "9223372036854775807", "99999999999999999999" })
        {
            cases.Add(new($"POST /email/drafts/{id}/send/", Caller.UserA, "POST", $"/email/drafts/{id}/send/", null, true));
            cases.Add(new($"DELETE /email/drafts/{id}/", Caller.UserA, "DELETE", $"/email/drafts/{id}/", null, true));
            cases.Add(new($"DELETE /email/drafts/{id}/delete/", Caller.UserA, "DELETE", $"/email/drafts/{id}/delete/", null, true));
        }

        // ---- Uploads.
        foreach (var path in new[] { "/email/attachments/upload/", "/email/upload-attachment/" })
        {
            cases.Add(new($"POST {path} JSON instead of a file", Caller.UserA, "POST", path, "{\"file\":\"x\"}"));
            cases.Add(new($"POST {path} multipart without a file", Caller.UserA, "POST", path, null, ContentType: "multipart/form-data; boundary=XyZ",
                RawBody: Encoding.UTF8.GetBytes("--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XyZ--\r\n")));
            cases.Add(new($"POST {path} multipart cut short", Caller.UserA, "POST", path, null, ContentType: "multipart/form-data; boundary=XyZ",
                RawBody: Encoding.UTF8.GetBytes("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc")));
            cases.Add(new($"POST {path} no boundary", Caller.UserA, "POST", path, null, ContentType: "multipart/form-data", RawBody: "abc"u8.ToArray()));
        }

        // ---- The health check reads nothing, but the query guard stands in front of it too.
        cases.Add(new("GET /health/?probe=%00", Caller.Anonymous, "GET", "/health/?probe=%00"));
        cases.Add(new("GET /metrics/?probe=%00", Caller.Anonymous, "GET", "/metrics/?probe=%00"));

        // ---- Reads: pages, dates and parameters.
        string[] pages = ["page=2147483647", "page=99999999999", "page=-1", "page=0", "limit=-1", "limit=0", "page_size=100000", "limit=abc", "page=%00", "page=1e3", "page=10737419"];
        foreach (var (path, caller) in new[]
        {
            ("/admin/organizations/", Caller.Superadmin), ("/admin/organizations/deleted/", Caller.Superadmin), ("/domains/", Caller.Superadmin),
            ("/domains/deleted/", Caller.Superadmin), ("/users/", Caller.Superadmin), ("/users/deleted/", Caller.AdminA), ("/admin/email-accounts/", Caller.Superadmin),
            ("/org/email-accounts/", Caller.AdminA), ("/org/email-accounts/deleted/", Caller.AdminA), ("/org/users/", Caller.AdminA),
            ("/org/aliases/", Caller.AdminA), ("/org/aliases/deleted/", Caller.AdminA),
        })
        {
            foreach (var query in pages.Take(path.Contains("deleted", StringComparison.Ordinal) ? 4 : pages.Length))
            {
                cases.Add(new($"GET {path}?{query}", caller, "GET", $"{path}?{query}"));
            }
        }

        foreach (var query in new[]
        {
            "page=2147483647", "page=99999999999", "page=10737419", "limit=-1", "limit=1000000", "page=0", "folder=a%00b", "folder=a%0D%0Ab",
            "folder=" + new string('x', 5000), "folder={marker}none", "sort=%00", "sort=sideways",
        })
        {
            cases.Add(new($"GET /email/messages/?{Short(query)}", Caller.UserA, "GET", $"/email/messages/?{query}"));
        }

        foreach (var query in new[]
        {
            "query=a%00b", "query=%0D%0Ax", "query=" + new string('q', 600), "query=x&page=2147483647", "query=x&page=99999999999", "query=x&page=10737419",
            "query=x&limit=-1", "since=0001-01-01", "since=9999-12-31", "before=0001-01-01", "before=9999-12-31", "since=-1", "since=%00",
            "query=x&folder=a%00b", "query=x&folder={marker}none", "from=a%00b", "subject=%0D%0A", "query=",
        })
        {
            cases.Add(new($"GET /email/search/?{Short(query)}", Caller.UserA, "GET", $"/email/search/?{query}"));
        }

        foreach (var query in new[]
        {
            "since=-1", "since=99999999999999999999", "since=%00",
            "since=s1.%00", "folder=a%00b", "folder=a%0D%0Ab", "folder={marker}none",
        })
        {
            cases.Add(new($"GET /email/check-new/?{query}", Caller.UserA, "GET", $"/email/check-new/?{query}"));
        }

        foreach (var query in new[]
        {
            "since=garbage", "since=0001-01-01", "since=s1.AAAA", "since=%00", "limit=-1", "limit=2147483647", "folder=a%00b", "folder={marker}none",
        })
        {
            cases.Add(new($"GET /email/changes/?{query}", Caller.UserA, "GET", $"/email/changes/?{query}"));
        }

        foreach (var header in new[] { "abc", "-1", "99999999999999999999", "1\u00e9" })
        {
            cases.Add(new($"GET /email/events/ Last-Event-ID {header}", Caller.UserA, "GET", "/email/events/",
                Headers: new Dictionary<string, string> { ["Last-Event-ID"] = header }));
        }

        cases.Add(new("GET /email/events/?since=%00", Caller.UserA, "GET", "/email/events/?since=%00"));

        foreach (var id in new[] { "%01", "a%0D%0Ab", "..", "-1", "0", "99999999999999999999", "bTE6garbage", "%3Cnobody%40nowhere%3E", new string('A', 5000), "%ED%A0%80" })
        {
            cases.Add(new($"GET /email/messages/{Short(id)}/", Caller.UserA, "GET", $"/email/messages/{id}/"));
            cases.Add(new($"GET /email/messages/{Short(id)}/raw/", Caller.UserA, "GET", $"/email/messages/{id}/raw/"));
            cases.Add(new($"GET /email/messages/{Short(id)}/body/", Caller.UserA, "GET", $"/email/messages/{id}/body/"));
        }

        foreach (var attachment in new[] { "-1", "99999999999999999999", "%01", "x" })
        {
            cases.Add(new($"GET /email/messages/{{messageA}}/attachments/{attachment}/", Caller.UserA, "GET", $"/email/messages/{{messageA}}/attachments/{attachment}/"));
        }

        foreach (var query in new[] { "id={uploadB}", "id=-1", "id=0", "id=99999999999999999999", "id=abc", "id=%00", "" })
        {
            cases.Add(new($"GET /email/attachments/download/?{query}", Caller.UserA, "GET", $"/email/attachments/download/?{query}"));
            cases.Add(new($"GET /email/download-attachment/?{query.Replace("id=", "attachment_id=", StringComparison.Ordinal)}", Caller.UserA, "GET",
                $"/email/download-attachment/?{query.Replace("id=", "attachment_id=", StringComparison.Ordinal)}"));
        }

        cases.Add(new("GET /email/drafts/ by Anonymous", Caller.Anonymous, "GET", "/email/drafts/"));
        cases.Add(new("GET /email/draft/ by Anonymous", Caller.Anonymous, "GET", "/email/draft/"));

        foreach (var query in new[] { "page=2147483647", "page=99999999999", "page=10737419", "limit=-1", "status=%00", "status=bogus" })
        {
            cases.Add(new($"GET /webhooks/{{webhookA}}/deliveries/?{query}", Caller.AdminA, "GET", $"/webhooks/{{webhookA}}/deliveries/?{query}"));
        }

        // ---- Another organization's objects, and ids no object has.
        var byId = new (string Method, string Path, string? Body)[]
        {
            ("GET", "/org/email-accounts/{0}/", null), ("PATCH", "/org/email-accounts/{0}/", "{\"first_name\":\"{marker}\"}"),
            ("PUT", "/org/email-accounts/{0}/", "{\"quota_mb\":1}"), ("DELETE", "/org/email-accounts/{0}/", null),
            ("POST", "/org/email-accounts/{0}/password/", "{\"password\":\"hijacked-horse-9\"}"), ("POST", "/org/email-accounts/{0}/restore/", null),
        };
        foreach (var (method, template, body) in byId)
        {
            cases.Add(new($"{method} {template.Replace("{0}", "{acctB}", StringComparison.Ordinal)} by AdminA", Caller.AdminA, method,
                template.Replace("{0}", "{acctB}", StringComparison.Ordinal), body));
        }

        var foreign = new (string Method, string Path, string? Body, Caller Caller)[]
        {
            ("GET", "/users/{userB}/", null, Caller.AdminA), ("PATCH", "/users/{userB}/", "{\"first_name\":\"{marker}\"}", Caller.AdminA),
            ("PUT", "/users/{userB}/", "{\"is_active\":false}", Caller.AdminA), ("DELETE", "/users/{userB}/", null, Caller.AdminA),
            ("POST", "/users/{userB}/restore/", null, Caller.AdminA),
            ("GET", "/org/aliases/{aliasB}/", null, Caller.AdminA), ("PATCH", "/org/aliases/{aliasB}/", "{\"enabled\":false}", Caller.AdminA),
            ("PUT", "/org/aliases/{aliasB}/", "{\"recipients\":[\"{userAAddress}\"]}", Caller.AdminA), ("DELETE", "/org/aliases/{aliasB}/", null, Caller.AdminA),
            ("POST", "/org/aliases/{aliasB}/restore/", null, Caller.AdminA), ("POST", "/org/aliases/{aliasA}/restore/", null, Caller.UserA),
            ("GET", "/org/aliases/", null, Caller.UserA), ("GET", "/org/aliases/{aliasA}/", null, Caller.UserA),
            ("DELETE", "/org/aliases/{aliasA}/", null, Caller.UserA), ("GET", "/org/aliases/?organization={orgB}", null, Caller.AdminA),
            ("POST", "/org/aliases/", "{\"address\":\"{marker}x@{domainNameB}\",\"recipients\":[\"{userAAddress}\"]}", Caller.AdminA),
            ("POST", "/org/aliases/", "{\"address\":\"@{domainNameB}\",\"recipients\":[\"{userAAddress}\"]}", Caller.AdminA),
            ("POST", "/org/aliases/", "{\"address\":\"victim@{domainNameB}\",\"recipients\":[\"{userAAddress}\"]}", Caller.AdminA),
            ("POST", "/org/aliases/", "{\"address\":\"{marker}u@{domainNameA}\",\"recipients\":[\"{userAAddress}\"]}", Caller.UserA),
            ("PATCH", "/org/aliases/{aliasA}/", "{\"recipients\":[\"nobody-{marker}@{domainNameB}\"]}", Caller.AdminA),
            ("GET", "/org/email-accounts/{acctB}/forward/", null, Caller.AdminA),
            ("PUT", "/org/email-accounts/{acctB}/forward/", "{\"recipients\":[\"{userAAddress}\"],\"keep_copy\":false}", Caller.AdminA),
            ("DELETE", "/org/email-accounts/{acctB}/forward/", null, Caller.AdminA),
            ("PUT", "/org/email-accounts/{acctA2}/forward/", "{\"recipients\":[\"{userAAddress}\"]}", Caller.UserA),
            ("GET", "/domains/{domainB}/", null, Caller.AdminA), ("PATCH", "/domains/{domainB}/", "{\"enabled\":false}", Caller.AdminA),
            ("PUT", "/domains/{domainB}/", "{\"quota\":1}", Caller.AdminA), ("DELETE", "/domains/{domainB}/", null, Caller.AdminA),
            ("PATCH", "/domains/{domainB}/toggle/", "{}", Caller.AdminA), ("POST", "/domains/{domainB}/enable/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/disable/", null, Caller.AdminA), ("POST", "/domains/{domainB}/restore/", null, Caller.AdminA),
            ("GET", "/domains/{domainB}/dns/", null, Caller.AdminA), ("GET", "/domains/{domainB}/dns-check/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/verify-dns/", null, Caller.AdminA), ("POST", "/domains/{domainB}/verify-spf/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/verify-dkim/", null, Caller.AdminA), ("POST", "/domains/{domainB}/verify-dmarc/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/generate-spf/", null, Caller.AdminA), ("POST", "/domains/{domainB}/generate-dkim/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/generate-dmarc/", null, Caller.AdminA), ("POST", "/domains/{domainB}/dkim/rotate/", null, Caller.AdminA),
            ("POST", "/domains/{domainA}/dkim/rotate/", null, Caller.UserA), ("GET", "/domains/{domainA}/dns/", null, Caller.UserA),
            // Spam allow and block lists (docs/adr/0035): another organization's, a user's own domain's, and bad entries.
            ("GET", "/domains/{domainB}/sender-rules/", null, Caller.AdminA),
            ("POST", "/domains/{domainB}/sender-rules/", "{\"sender\":\"{marker}@spam.example\",\"action\":\"block\"}", Caller.AdminA),
            ("DELETE", "/domains/{domainB}/sender-rules/1/", null, Caller.AdminA),
            ("GET", "/domains/{domainA}/sender-rules/", null, Caller.UserA),
            ("POST", "/domains/{domainA}/sender-rules/", "{\"sender\":\"{marker}@spam.example\",\"action\":\"allow\"}", Caller.UserA),
            ("POST", "/domains/{domainA}/sender-rules/", "{\"sender\":\"not an address {marker}\",\"action\":\"block\"}", Caller.AdminA),
            ("POST", "/domains/{domainA}/sender-rules/", "{\"sender\":\"@{marker}\",\"action\":\"block\"}", Caller.AdminA),
            ("POST", "/domains/{domainA}/sender-rules/", "{\"sender\":\"{marker}@spam.example\",\"action\":\"maybe\"}", Caller.AdminA),
            ("POST", "/domains/{domainA}/sender-rules/", "{\"sender\":[1],\"action\":\"block\"}", Caller.AdminA),
            ("DELETE", "/domains/{domainA}/sender-rules/0/", null, Caller.AdminA),
            ("GET", "/admin/organizations/{orgB}/", null, Caller.AdminA), ("PATCH", "/admin/organizations/{orgB}/", "{\"name\":\"{marker}\"}", Caller.AdminA),
            ("PUT", "/admin/organizations/{orgB}/update/", "{\"max_users\":1}", Caller.AdminA), ("PATCH", "/admin/organizations/{orgB}/update/", "{\"is_active\":false}", Caller.AdminA),
            ("PUT", "/admin/organizations/{orgB}/", "{\"is_active\":false}", Caller.AdminA),
            ("DELETE", "/admin/organizations/{orgB}/", null, Caller.AdminA), ("DELETE", "/admin/organizations/{orgB}/delete/", null, Caller.AdminA),
            ("POST", "/admin/organizations/{orgB}/restore/", null, Caller.AdminA),
            ("POST", "/admin/organizations/bulk-suspend/", "{\"ids\":[{orgB}]}", Caller.AdminA),
            ("POST", "/admin/organizations/bulk-activate/", "{\"ids\":[{orgB}]}", Caller.AdminA),
            ("POST", "/org/email-accounts/bulk-deactivate/", "{\"ids\":[{acctB}]}", Caller.AdminA),
            ("POST", "/organization-admins/", "{\"organization_id\":{orgB},\"email\":\"{marker}x@{domainNameB}\",\"password\":\"correct-horse-9\"}", Caller.AdminA),
            ("POST", "/organization-admins/", "{\"email\":\"{marker}sq@{domainNameB}\",\"password\":\"correct-horse-9\"}", Caller.AdminA),
            ("POST", "/org/email-accounts/", "{\"email\":\"{marker}sq@{domainNameB}\",\"password\":\"correct-horse-9\"}", Caller.AdminA),
            ("POST", "/users/", "{\"username\":\"{marker}sq@{domainNameB}\",\"password\":\"correct-horse-9\",\"organization_id\":{orgB}}", Caller.AdminA),
            ("POST", "/users/", "{\"username\":\"{marker}sq2\",\"password\":\"correct-horse-9\",\"role\":\"superadmin\"}", Caller.AdminA),
            ("POST", "/domains/", "{\"name\":\"{marker}-x.test\",\"organization_id\":{orgB}}", Caller.AdminA),
            ("POST", "/webhooks/", "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"*\"],\"secret\":\"0123456789abcdef-x\",\"organization_id\":{orgB}}", Caller.AdminA),
            ("DELETE", "/webhooks/{webhookB}/", null, Caller.AdminA), ("GET", "/webhooks/{webhookB}/deliveries/", null, Caller.AdminA),
            ("GET", "/admin/analytics/", null, Caller.AdminA), ("GET", "/admin/health/", null, Caller.UserA), ("GET", "/admin/email-accounts/", null, Caller.AdminA),
            ("GET", "/admin/organizations/", null, Caller.AdminA), ("GET", "/admin/organizations/deleted/", null, Caller.AdminA),
            ("GET", "/org/email-accounts/", null, Caller.UserA), ("GET", "/org/limits/", null, Caller.UserA), ("GET", "/org/dashboard/", null, Caller.UserA),
            ("GET", "/org/users/", null, Caller.UserA), ("GET", "/webhooks/", null, Caller.UserA),
            ("POST", "/email/drafts/{draftB}/send/", null, Caller.UserA),
            ("GET", "/email/folders/", null, Caller.Anonymous), ("POST", "/auth/logout/", null, Caller.Anonymous), ("POST", "/auth/refresh/", null, Caller.Anonymous),
            ("GET", "/auth/me/", null, Caller.Anonymous), ("POST", "/email/send/", "{\"to_emails\":[\"a@example.com\"],\"subject\":\"x\"}", Caller.Anonymous),
            // The probes take no input: a query with control characters is still refused before them.
            ("GET", "/health/live/?probe=a%00b", null, Caller.Anonymous), ("GET", "/health/ready/?probe=a%0D%0Ab", null, Caller.Anonymous),
        };
        foreach (var (method, path, body, caller) in foreign)
        {
            cases.Add(new($"{method} {path} by {caller}" + (body is null ? "" : " " + Short(body)), caller, method, path, body, path.StartsWith("/email", StringComparison.Ordinal)));
        }

        foreach (var id in new[] { "0", "-1", "9223372036854775807" })
        {
            foreach (var (method, template, caller) in new[]
            {
                ("GET", "/admin/organizations/{0}/", Caller.Superadmin), ("PATCH", "/admin/organizations/{0}/", Caller.Superadmin),
                ("DELETE", "/admin/organizations/{0}/", Caller.Superadmin), ("POST", "/admin/organizations/{0}/restore/", Caller.Superadmin),
                ("GET", "/domains/{0}/", Caller.Superadmin), ("PATCH", "/domains/{0}/toggle/", Caller.Superadmin), ("DELETE", "/domains/{0}/", Caller.Superadmin),
                ("GET", "/domains/{0}/dns/", Caller.Superadmin), ("GET", "/domains/{0}/dns-check/", Caller.Superadmin),
                ("POST", "/domains/{0}/dkim/rotate/", Caller.Superadmin),
                ("GET", "/users/{0}/", Caller.Superadmin), ("DELETE", "/users/{0}/", Caller.Superadmin),
                ("GET", "/org/email-accounts/{0}/", Caller.AdminA), ("POST", "/org/email-accounts/{0}/password/", Caller.AdminA),
                ("GET", "/org/aliases/{0}/", Caller.AdminA), ("DELETE", "/org/aliases/{0}/", Caller.AdminA),
                ("GET", "/org/email-accounts/{0}/forward/", Caller.AdminA), ("DELETE", "/org/email-accounts/{0}/forward/", Caller.AdminA),
                ("DELETE", "/webhooks/{0}/", Caller.AdminA),
            })
            {
                var path = template.Replace("{0}", id, StringComparison.Ordinal);
                var body = method == "PATCH" ? template.Contains("toggle", StringComparison.Ordinal) ? "{}" : "{\"name\":\"{marker} N\"}"
                    : template.Contains("password", StringComparison.Ordinal) ? "{\"password\":\"hijacked-horse-9\"}" : null;
                cases.Add(new($"{method} {path}", caller, method, path, body));
            }
        }

        foreach (var ids in new[] { "[0]", "[-1]", "[9223372036854775807]", "[]" })
        {
            if (ids != "[9223372036854775807]")
            {
                // An id no organization has is not counted (updated: 0), as the bulk routes document.
                cases.Add(new($"POST /admin/organizations/bulk-suspend/ ids {ids}", Caller.Superadmin, "POST", "/admin/organizations/bulk-suspend/", "{\"ids\":" + ids + "}"));
            }

            cases.Add(new($"POST /org/email-accounts/bulk-deactivate/ ids {ids}", Caller.AdminA, "POST", "/org/email-accounts/bulk-deactivate/", "{\"ids\":" + ids + "}"));
        }

        return cases;
    }

    private static IEnumerable<(string What, string Json)> HostileValues(Field field)
    {
        switch (field.Kind)
        {
            case Kind.Line:
                yield return ("NUL", "\"{marker}a\\u0000b\"");
                yield return ("lone surrogate", "\"{marker}\\ud800\"");
                yield return ("CRLF", "\"{marker}a\\r\\nBcc: x@example.com\"");
                yield return ("1 MB", "\"{marker}" + Megabyte + "\"");
                yield return ("number", "12");
                yield return ("object", "{}");
                break;
            case Kind.Text:
                yield return ("NUL", "\"a\\u0000b\"");
                yield return ("lone surrogate", "\"a\\udc00b\"");
                yield return ("object", "{\"a\":1}");
                yield return ("number", "12");
                yield return ("true", "true");
                yield return ("list", "[\"a\"]");
                break;
            case Kind.Number:
                yield return ("string", "\"lots\"");
                yield return ("object", "{}");
                yield return ("10^30", "1000000000000000000000000000000");
                yield return ("fraction", "1.5");
                yield return ("-1", "-1");
                break;
            case Kind.Bool:
                yield return ("string", "\"yes\"");
                yield return ("number", "2");
                yield return ("array", "[true]");
                break;
            case Kind.StringList:
                yield return ("object", "{}");
                yield return ("[null]", "[null]");
                yield return ("nested", "[[\"a\"]]");
                yield return ("NUL item", "[\"a\\u0000b@example.com\"]");
                yield return ("lone surrogate item", "[\"\\ud800@example.com\"]");
                break;
            case Kind.IdList:
                yield return ("object", "{}");
                yield return ("[null]", "[null]");
                yield return ("strings", "[\"x\"]");
                yield return ("10^30", "[1000000000000000000000000000000]");
                yield return ("string", "\"x\"");
                yield return ("true", "true");
                yield return ("[1.5]", "[1.5]");
                break;
            case Kind.FileList:
                yield return ("string", "\"report.pdf\"");
                yield return ("object", "{\"filename\":\"a.txt\",\"content_type\":\"text/plain\",\"content_base64\":\"aGk=\"}");
                yield return ("number", "12");
                yield return ("true", "true");
                yield return ("[string]", "[\"a.txt\"]");
                yield return ("[null]", "[null]");
                yield return ("[[]]", "[[]]");
                yield return ("filename number", "[{\"filename\":12,\"content_type\":\"text/plain\",\"content_base64\":\"aGk=\"}]");
                yield return ("content_type object", "[{\"filename\":\"a.txt\",\"content_type\":{},\"content_base64\":\"aGk=\"}]");
                yield return ("content_base64 list", "[{\"filename\":\"a.txt\",\"content_type\":\"text/plain\",\"content_base64\":[\"aGk=\"]}]");
                break;
        }
    }

    private static string Short(string text) => text.Length > 60 ? text[..40] + $"…({text.Length} chars)" : text;
}

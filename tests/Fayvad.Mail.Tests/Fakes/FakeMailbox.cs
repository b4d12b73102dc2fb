using Fayvad.Mail.Imap;
using MailKit;
using MailKit.Search;

namespace Fayvad.Mail.Tests.Fakes;

/// <summary>
/// One mailbox without a server, standing in for both the pool (<see cref="IImapSessions"/>) and the session it lends
/// (<see cref="IMailboxSession"/>): handlers run against it as they run against Dovecot, and <see cref="Commands"/>
/// shows what they sent. Lookups by name and message id are the production ones (<see cref="MailboxSessionLookups"/>) over its
/// primitives; one folder is open at a time, as on a real connection.
/// </summary>
internal sealed class FakeMailbox : IImapSessions, IMailboxSession
{
    private readonly List<IMailFolder> _folders = [];
    private IMailFolder? _open;

    public FakeMailbox(string mailbox = "user@example.test")
    {
        Mailbox = mailbox;
        Root = FakeFolder.Create(this, "", FolderAttributes.NoSelect, null);
        Inbox = Add("INBOX");
    }

    public string Mailbox { get; }

    public IMailFolder Inbox { get; }

    public IMailFolder Root { get; }

    public List<string> Commands { get; } = [];

    /// <summary>Mailboxes the handler asked the pool for.</summary>
    public List<string> Sessions { get; } = [];

    public IMailFolder Add(string path, FolderAttributes attributes = FolderAttributes.None)
    {
        var parentPath = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : null;
        var parent = parentPath is null ? Root : _folders.Single(f => f.FullName == parentPath);
        var folder = FakeFolder.Create(this, path, attributes, parent);
        FakeFolder.Of(folder).UidValidity = (uint)(100 + _folders.Count);
        _folders.Add(folder);
        return folder;
    }

    public FakeFolder this[string path] => FakeFolder.Of(_folders.Single(f => f.FullName == path));

    internal void Record(string command) => Commands.Add(command);

    public Task<T> RunAsync<T>(string mailbox, Func<IMailboxSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        Sessions.Add(mailbox);
        return work(this, cancellationToken);
    }

    public IMailFolder? Special(SpecialFolder special)
    {
        var attribute = Folders.SpecialRoles.Single(r => r.Special == special).Attribute;
        return _folders.FirstOrDefault(f => f.Attributes.HasFlag(attribute));
    }

    public Task<IReadOnlyList<IMailFolder>> ListFoldersAsync(StatusItems status, CancellationToken cancellationToken)
    {
        Record("LIST");
        return Task.FromResult<IReadOnlyList<IMailFolder>>(_folders.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect)).ToList());
    }

    public Task<IMailFolder?> FindExactFolderAsync(string path, CancellationToken cancellationToken) =>
        Task.FromResult(path.Equals(Folders.Inbox, StringComparison.OrdinalIgnoreCase)
            ? Inbox
            : _folders.FirstOrDefault(f => f.FullName == path && !f.Attributes.HasFlag(FolderAttributes.NonExistent)));

    public Task OpenAsync(IMailFolder folder, FolderAccess access, CancellationToken cancellationToken)
    {
        Select(folder, access);
        return Task.CompletedTask;
    }

    /// <summary>SELECT or EXAMINE: the one open folder of the connection changes.</summary>
    internal void Select(IMailFolder folder, FolderAccess access)
    {
        if (_open is { } previous && !ReferenceEquals(previous, folder))
        {
            FakeFolder.Of(previous).IsOpen = false;
        }

        var fake = FakeFolder.Of(folder);
        fake.IsOpen = true;
        fake.Access = access;
        _open = folder;
        Record($"{(access == FolderAccess.ReadWrite ? "SELECT" : "EXAMINE")} {folder.FullName}");
    }

    internal IMailFolder Create(FakeFolder parent, string name)
    {
        var path = parent.FullName.Length == 0 ? name : $"{parent.FullName}/{name}";
        Record($"CREATE {path}");
        return Add(path);
    }

    internal void Rename(IMailFolder folder, IMailFolder parent, string name)
    {
        var from = folder.FullName;
        var to = parent.FullName.Length == 0 ? name : $"{parent.FullName}/{name}";
        Record($"RENAME {from} {to}");
        // IMAP renames the subfolders along (RFC 3501 6.3.5).
        foreach (var moved in _folders.Where(f => f.FullName == from || f.FullName.StartsWith(from + "/", StringComparison.Ordinal)))
        {
            FakeFolder.Of(moved).FullName = to + moved.FullName[from.Length..];
        }

        FakeFolder.Of(folder).Parent = parent;
    }

    internal void Delete(IMailFolder folder)
    {
        Record($"DELETE {folder.FullName}");
        _folders.Remove(folder);
    }

    internal IEnumerable<IMailFolder> Children(IMailFolder folder) => _folders.Where(f => ReferenceEquals(f.ParentFolder, folder));

    public async Task<IList<UniqueId>> NewestSentFirstAsync(IMailFolder folder, SearchQuery query, CancellationToken cancellationToken) =>
        (await folder.SearchAsync(query, cancellationToken)).OrderByDescending(u => u.Id).ToList();

    public Task MoveAsync(IMailFolder folder, IList<UniqueId> uids, IMailFolder target, CancellationToken cancellationToken) =>
        folder.MoveToAsync(uids, target, cancellationToken);

    public Task RefreshAsync(CancellationToken cancellationToken)
    {
        Record("NOOP");
        return Task.CompletedTask;
    }
}

using System.Reflection;
using MailKit;
using MailKit.Search;

namespace Fayvad.Mail.Tests.Fakes;

/// <summary>
/// A folder without a server: MailKit's <see cref="IMailFolder"/> answered by a <see cref="DispatchProxy"/>. It reports
/// the properties a handler reads, carries out the few commands handlers send (SEARCH by UID, STORE, MOVE, COPY,
/// EXPUNGE) on its list of UIDs, and logs each command. Anything else throws, so a handler that starts using more of
/// IMAP fails its unit test until the fake learns it.
/// </summary>
public class FakeFolder : DispatchProxy
{
    private FakeMailbox _mailbox = null!;
    private IMailFolder _self = null!;

    public string FullName { get; internal set; } = "";
    public FolderAttributes Attributes { get; set; }
    public IMailFolder? Parent { get; internal set; }
    public uint UidValidity { get; set; } = 1;
    public ulong HighestModSeq { get; set; } = 1;
    public List<uint> Uids { get; } = [];
    public HashSet<uint> Unseen { get; } = [];
    public Dictionary<uint, MessageFlags> Flags { get; } = [];
    public bool IsOpen { get; set; }
    public bool Subscribed { get; set; }
    public FolderAccess Access { get; set; }
    public uint NextUid { get; set; } = 1;

    public string Name => FullName.Contains('/', StringComparison.Ordinal) ? FullName[(FullName.LastIndexOf('/') + 1)..] : FullName;

    internal static IMailFolder Create(FakeMailbox mailbox, string fullName, FolderAttributes attributes, IMailFolder? parent)
    {
        var folder = Create<IMailFolder, FakeFolder>();
        var fake = (FakeFolder)(object)folder;
        fake._mailbox = mailbox;
        fake._self = folder;
        fake.FullName = fullName;
        fake.Attributes = attributes;
        fake.Parent = parent;
        return folder;
    }

    public static FakeFolder Of(IMailFolder folder) => (FakeFolder)(object)folder;

    /// <summary>Delivers messages: each gets the next UID, unread.</summary>
    public IList<UniqueId> Deliver(int count)
    {
        var added = new List<UniqueId>();
        for (var i = 0; i < count; i++)
        {
            var uid = NextUid++;
            Uids.Add(uid);
            Unseen.Add(uid);
            Flags[uid] = MessageFlags.None;
            added.Add(new UniqueId(UidValidity, uid));
        }

        HighestModSeq++;
        return added;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        args ??= [];
        switch (method.Name)
        {
            case "get_FullName": return FullName;
            case "get_Name": return Name;
            case "get_Attributes": return Attributes;
            case "get_ParentFolder": return Parent;
            case "get_Exists": return true;
            case "get_IsOpen": return IsOpen;
            case "get_Access": return Access;
            case "get_Count": return Uids.Count;
            case "get_Unread": return Unseen.Count;
            case "get_UidValidity": return UidValidity;
            case "get_UidNext": return (UniqueId?)new UniqueId(UidValidity, NextUid);
            case "get_HighestModSeq": return HighestModSeq;
            case "get_DirectorySeparator": return '/';
            case "ToString": return FullName;
            case "GetHashCode": return FullName.GetHashCode(StringComparison.Ordinal);
            case "Equals": return ReferenceEquals(args[0], _self);
        }

        if (method.Name.StartsWith("add_", StringComparison.Ordinal) || method.Name.StartsWith("remove_", StringComparison.Ordinal))
        {
            return null; // Events: a fake folder never reports a change of its own accord.
        }

        var parameters = method.GetParameters().Select(p => p.ParameterType).ToArray();
        if (method.Name == "SearchAsync" && parameters is [_, _] && args[0] is SearchQuery query)
        {
            Require(open: true);
            var asked = query is UidSearchQuery byUid ? byUid.Uids.Select(u => u.Id).ToHashSet() : null;
            IList<UniqueId> found = Uids.Where(u => asked is null || asked.Contains(u)).Select(u => new UniqueId(UidValidity, u)).ToList();
            _mailbox.Record($"SEARCH {FullName}");
            return Task.FromResult(found);
        }

        if (method.Name == "StoreAsync" && parameters is [_, _, _] && args[0] is IList<UniqueId> uids && args[1] is IStoreFlagsRequest store)
        {
            Require(open: true, write: true);
            foreach (var uid in uids.Select(u => u.Id).Where(Uids.Contains))
            {
                Flags[uid] = store.Action switch
                {
                    StoreAction.Add => Flags[uid] | store.Flags,
                    StoreAction.Remove => Flags[uid] & ~store.Flags,
                    _ => store.Flags,
                };
                if (Flags[uid].HasFlag(MessageFlags.Seen))
                {
                    Unseen.Remove(uid);
                }
                else
                {
                    Unseen.Add(uid);
                }
            }

            HighestModSeq++;
            var sign = store.Action switch { StoreAction.Add => "+", StoreAction.Remove => "-", _ => "=" };
            _mailbox.Record($"STORE {FullName} {Join(uids)} {sign}{store.Flags}");
            // The UIDs left unmodified: none (no UNCHANGEDSINCE).
            return Task.FromResult<IList<UniqueId>>([]);
        }

        if (method.Name is "MoveToAsync" or "CopyToAsync" && parameters is [_, _, _] && args[0] is IList<UniqueId> moved && args[1] is IMailFolder target)
        {
            Require(open: true, write: method.Name == "MoveToAsync");
            var destination = Of(target);
            var present = moved.Select(u => u.Id).Where(Uids.Contains).ToList();
            var source = new List<UniqueId>();
            var copies = new List<UniqueId>();
            foreach (var uid in present)
            {
                var copy = destination.Deliver(1)[0];
                source.Add(new UniqueId(UidValidity, uid));
                copies.Add(copy);
                if (!Unseen.Contains(uid))
                {
                    destination.Unseen.Remove(copy.Id);
                }

                if (method.Name == "MoveToAsync")
                {
                    Remove(uid);
                }
            }

            _mailbox.Record($"{(method.Name == "MoveToAsync" ? "MOVE" : "COPY")} {FullName} {Join(moved)} -> {destination.FullName}");
            return Task.FromResult(new UniqueIdMap(source, copies));
        }

        if (method.Name == "ExpungeAsync" && parameters is [_, _] && args[0] is IList<UniqueId> expunged)
        {
            Require(open: true, write: true);
            foreach (var uid in expunged.Select(u => u.Id).Where(u => Flags.TryGetValue(u, out var f) && f.HasFlag(MessageFlags.Deleted)).ToList())
            {
                Remove(uid);
            }

            _mailbox.Record($"EXPUNGE {FullName} {Join(expunged)}");
            return Task.CompletedTask;
        }

        switch (method.Name, args.Length)
        {
            case ("OpenAsync", 2) when args[0] is FolderAccess access:
                _mailbox.Select(_self, access);
                return Task.FromResult(access);
            case ("CloseAsync", 2):
                IsOpen = false;
                _mailbox.Record($"CLOSE {FullName}");
                return Task.CompletedTask;
            case ("CreateAsync", 3) when args[0] is string name && args[1] is true:
                return Task.FromResult(_mailbox.Create(this, name));
            case ("RenameAsync", 3) when args[0] is IMailFolder parent && args[1] is string newName:
                _mailbox.Rename(_self, parent, newName);
                return Task.CompletedTask;
            case ("DeleteAsync", 1):
                _mailbox.Delete(_self);
                return Task.CompletedTask;
            case ("SubscribeAsync" or "UnsubscribeAsync", 1):
                Subscribed = method.Name == "SubscribeAsync";
                _mailbox.Record($"{(Subscribed ? "SUBSCRIBE" : "UNSUBSCRIBE")} {FullName}");
                return Task.CompletedTask;
            case ("GetSubfoldersAsync", 2) when args[0] is false:
                return Task.FromResult<IList<IMailFolder>>(_mailbox.Children(_self).ToList());
        }

        throw new NotSupportedException($"The fake folder does not do {method.Name}({string.Join(", ", parameters.Select(p => p.Name))}).");
    }

    /// <summary>Removes a message as another client's expunge would.</summary>
    public void Remove(uint uid)
    {
        Uids.Remove(uid);
        Unseen.Remove(uid);
        Flags.Remove(uid);
        HighestModSeq++;
    }

    private void Require(bool open, bool write = false)
    {
        if (open && !IsOpen)
        {
            throw new InvalidOperationException($"{FullName} is not open: a handler must open a folder through its session first.");
        }

        if (write && Access != FolderAccess.ReadWrite)
        {
            throw new InvalidOperationException($"{FullName} is open read-only.");
        }
    }

    private static string Join(IEnumerable<UniqueId> uids) => string.Join(',', uids.Select(u => u.Id));
}

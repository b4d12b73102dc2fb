using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Access;

/// <summary>
/// What aliases and forwards may point at, and the loop check, shared by the alias and forward slices
/// (docs/adr/0034). Addresses are compared lower case.
/// </summary>
internal static class AliasRules
{
    /// <summary>More recipients than this in one alias or forward is refused (the bench measures 1,000).</summary>
    public const int MaxRecipients = 1000;

    /// <summary>The catch-all's address: "@domain".</summary>
    public static string CatchAllAddress(string domain) => "@" + domain;

    /// <summary>
    /// The recipients, trimmed, lower case, duplicates dropped (first one kept); the error names the field and the
    /// first value that is not an address.
    /// </summary>
    public static Result<List<string>> NormalizeRecipients(IReadOnlyList<string?>? values, string field)
    {
        if (values is null || values.Count == 0)
        {
            return Error.Validation(field, $"{field} must list at least one address.");
        }

        if (values.Count > MaxRecipients)
        {
            return Error.Validation(field, $"{field} may list at most {MaxRecipients} addresses.");
        }

        var result = new List<string>(values.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var address = value is null ? null : Addresses.Normalize(value);
            if (!Addresses.IsAddress(address))
            {
                return Error.Validation(field, $"{field}: '{Shorten(value)}' is not an email address such as name@example.com.");
            }

            if (seen.Add(address!))
            {
                result.Add(address!);
            }
        }

        return result;
    }

    /// <summary>
    /// Refuses a recipient at a domain this server hosts that names nothing there (no mailbox, alias, or catch-all),
    /// and a set of recipients that would bring mail back to <paramref name="start"/> (the loop is named). Addresses
    /// elsewhere are outside mail: accepted as written.
    /// </summary>
    /// <remarks>
    /// Postfix checks internal-only at RCPT, on the address the sender wrote; expansion comes after. So an address that
    /// takes outside mail (<paramref name="startInternalOnly"/> false: a public alias, a mailbox's forward) may not
    /// lead to an internal-only alias, or outside mail would reach it through the back door.
    /// </remarks>
    public static async Task<Error?> CheckTargetsAsync(
        DirectoryDbContext db, string start, bool startInternalOnly, IReadOnlyList<string> recipients, string field,
        CancellationToken cancellationToken)
    {
        var graph = await AddressGraph.LoadAsync(db, cancellationToken);
        foreach (var recipient in recipients)
        {
            if (recipient == start)
            {
                return Error.Validation(field, $"{field}: {start} cannot deliver to itself.");
            }

            if (!graph.Exists(recipient))
            {
                return Error.Validation(field, $"{field}: {recipient} does not exist (its domain is hosted here, but no mailbox or alias has that address).");
            }
        }

        if (graph.FindPath(start, recipients, a => a == start) is { } loop)
        {
            return Error.Validation(field, $"{field} would make a loop: {string.Join(" -> ", loop)}.");
        }

        return !startInternalOnly && graph.FindPath(start, recipients, graph.IsInternalOnly) is { } inward
            ? Error.Validation(field,
                $"{field}: {start} takes mail from outside, and {inward[^1]} is internal only ({string.Join(" -> ", inward)}): "
                + $"leave {inward[^1]} out, or make {start} internal only too.")
            : null;
    }

    /// <summary>
    /// Refuses making <paramref name="address"/> internal only while an address that takes outside mail (a public
    /// alias, a mailbox's forward, a catch-all) leads to it; the first such path is named.
    /// </summary>
    public static async Task<Error?> CheckNotReachedFromOutsideAsync(DirectoryDbContext db, string address, CancellationToken cancellationToken)
    {
        var graph = await AddressGraph.LoadAsync(db, cancellationToken);
        // Whether an address leads to this one does not depend on where the walk began: one visited set for all
        // sources walks each address once.
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in graph.PublicSources())
        {
            if (source != address && graph.FindPath(source, graph.NextOf(source), a => a == address, visited) is { } path)
            {
                return Error.Validation("internal_only",
                    $"internal_only: {source} takes mail from outside and leads to {address} ({string.Join(" -> ", path)}): "
                    + $"change {source} first, or make it internal only too.");
            }
        }

        return null;
    }

    private static string Shorten(string? value) =>
        value is null ? "null" : value.Length > 80 ? value[..80] + "…" : new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>Every hosted address and where it leads, read once per check.</summary>
    private sealed class AddressGraph
    {
        private readonly Dictionary<string, List<string>> aliases = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> forwards = new(StringComparer.Ordinal);
        private readonly HashSet<string> mailboxes = new(StringComparer.Ordinal);
        private readonly HashSet<string> internalOnly = new(StringComparer.Ordinal);

        /// <summary>Hosted domain name -> the target domain for an alias domain, or null.</summary>
        private readonly Dictionary<string, string?> domains = new(StringComparer.Ordinal);

        public static async Task<AddressGraph> LoadAsync(DirectoryDbContext db, CancellationToken cancellationToken)
        {
            var graph = new AddressGraph();
            // Deleted rows too: a restore must not bring a loop back, and a deleted mailbox's address still exists.
            foreach (var d in await db.Domains.IgnoreQueryFilters().Select(d => new { d.Name, Target = d.AliasTarget != null ? d.AliasTarget.Name : null })
                         .ToListAsync(cancellationToken))
            {
                graph.domains[d.Name] = d.Target;
            }

            foreach (var a in await db.Aliases.IgnoreQueryFilters().Select(a => new { a.Address, a.Recipients, a.InternalOnly }).ToListAsync(cancellationToken))
            {
                graph.aliases[a.Address] = a.Recipients;
                if (a.InternalOnly)
                {
                    graph.internalOnly.Add(a.Address);
                }
            }

            foreach (var m in await db.EmailAccounts.IgnoreQueryFilters().Select(a => new { a.Address, a.ForwardTo }).ToListAsync(cancellationToken))
            {
                graph.mailboxes.Add(m.Address);
                if (m.ForwardTo.Count > 0)
                {
                    graph.forwards[m.Address] = m.ForwardTo;
                }
            }

            return graph;
        }

        public bool Exists(string address)
        {
            var (local, domain) = Addresses.Split(address);
            if (!domains.TryGetValue(domain, out var target))
            {
                return true; // outside mail
            }

            return target is not null
                ? Exists($"{local}@{target}")
                : mailboxes.Contains(address) || aliases.ContainsKey(address) || aliases.ContainsKey(CatchAllAddress(domain));
        }

        public bool IsInternalOnly(string address) => internalOnly.Contains(address);

        /// <summary>The addresses that take outside mail and lead somewhere: public aliases and forwarding mailboxes.</summary>
        public IEnumerable<string> PublicSources() =>
            aliases.Keys.Where(a => !internalOnly.Contains(a)).Concat(forwards.Keys);

        public IEnumerable<string> NextOf(string address) => Next(address);

        /// <summary>Where mail to <paramref name="address"/> goes next; empty when it stops there (a mailbox, or outside).</summary>
        private IEnumerable<string> Next(string address)
        {
            var (local, domain) = Addresses.Split(address);
            if (!domains.TryGetValue(domain, out var target))
            {
                return [];
            }

            if (target is not null)
            {
                return local.Length == 0 ? [CatchAllAddress(target)] : [$"{local}@{target}"];
            }

            if (aliases.TryGetValue(address, out var recipients))
            {
                return recipients;
            }

            if (mailboxes.Contains(address))
            {
                return forwards.TryGetValue(address, out var forward) ? forward.Where(f => f != address) : [];
            }

            return local.Length > 0 && aliases.TryGetValue(CatchAllAddress(domain), out var catchAll) ? [CatchAllAddress(domain)] : [];
        }

        /// <summary>
        /// A path start -> ... -> an address <paramref name="stop"/> accepts, through the new
        /// <paramref name="recipients"/> of start (they replace whatever start led to before), or null. Addresses in
        /// <paramref name="visited"/> (walked before without reaching <paramref name="stop"/>) are not walked again.
        /// </summary>
        public List<string>? FindPath(string start, IEnumerable<string> recipients, Func<string, bool> stop, HashSet<string>? visited = null)
        {
            visited ??= new HashSet<string>(StringComparer.Ordinal);
            var path = new List<string> { start };

            List<string>? Walk(IEnumerable<string> next)
            {
                foreach (var address in next)
                {
                    if (stop(address))
                    {
                        return [.. path, address];
                    }

                    if (address == start || !visited.Add(address))
                    {
                        continue;
                    }

                    path.Add(address);
                    if (Walk(Next(address)) is { } loop)
                    {
                        return loop;
                    }

                    path.RemoveAt(path.Count - 1);
                }

                return null;
            }

            return Walk(recipients);
        }
    }
}

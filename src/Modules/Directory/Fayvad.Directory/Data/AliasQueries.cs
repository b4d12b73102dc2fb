using Fayvad.Directory.Model;

namespace Fayvad.Directory.Data;

/// <summary>
/// An alias as the alias routes answer it: <c>catch_all</c> when its address is "@domain"; <c>expired</c> once
/// <c>expires_at</c> has passed (it then answers 550 like a disabled one).
/// </summary>
internal sealed record AliasDto(
    long Id,
    string Address,
    long DomainId,
    string Domain,
    long OrganizationId,
    IReadOnlyList<string> Recipients,
    bool Enabled,
    bool InternalOnly,
    DateTimeOffset? ExpiresAt,
    bool Expired,
    bool CatchAll,
    string Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

internal static class AliasQueries
{
    public static IQueryable<AliasDto> SelectDto(this IQueryable<MailAlias> aliases, DateTimeOffset now) =>
        aliases.Select(a => new AliasDto(
            a.Id,
            a.Address,
            a.DomainId,
            a.Domain.Name,
            a.Domain.OrganizationId,
            a.Recipients,
            a.Enabled,
            a.InternalOnly,
            a.ExpiresAt,
            a.ExpiresAt != null && a.ExpiresAt <= now,
            a.LocalPart == "",
            a.Description,
            a.CreatedAt,
            a.UpdatedAt));
}

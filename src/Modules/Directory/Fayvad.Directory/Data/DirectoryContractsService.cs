using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Passwords;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Data;

/// <summary>What other modules may ask of the Directory, through its published contracts.</summary>
internal sealed class DirectoryContractsService(DirectoryDbContext db, PasswordHasher hasher, TimeProvider clock)
    : IDirectoryAuthentication, IDirectoryProfiles, IDirectoryMailboxes
{
    // Verifying against a fixed hash when the user is unknown keeps the response time from telling which usernames exist.
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher().Hash(Guid.NewGuid().ToString()));

    public async Task<DirectoryPrincipal?> VerifyCredentialsAsync(string username, string password, CancellationToken cancellationToken)
    {
        var normalized = username.Trim().ToLowerInvariant();
        var user = await db.Users.WhereActive().Where(u => u.Username == normalized)
            .Select(u => new { u.Id, u.PasswordHash })
            .SingleOrDefaultAsync(cancellationToken);

        if (user is null)
        {
            PasswordHasher.Verify(password, DummyHash.Value);
            return null;
        }

        if (!PasswordHasher.Verify(password, user.PasswordHash))
        {
            return null;
        }

        await db.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginAt, clock.GetUtcNow()), cancellationToken);
        return await db.Users.Where(u => u.Id == user.Id).SelectPrincipal().SingleAsync(cancellationToken);
    }

    public Task<DirectoryPrincipal?> FindActiveAsync(long userId, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().WhereActive().Where(u => u.Id == userId).SelectPrincipal().SingleOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlySet<long>> FindActiveIdsAsync(IReadOnlyCollection<long> userIds, CancellationToken cancellationToken)
    {
        var ids = userIds.ToList();
        return (await db.Users.AsNoTracking().WhereActive().Where(u => ids.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    public async Task ChangePasswordAsync(long userId, string newPassword, CancellationToken cancellationToken)
    {
        var hash = hasher.Hash(newPassword);
        await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, hash), cancellationToken);
    }

    public Task<UserProfile?> GetProfileAsync(long userId, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().Where(u => u.Id == userId).SelectProfile(db).SingleOrDefaultAsync(cancellationToken);

    public async Task<Result<UserProfile>> UpdateProfileAsync(long userId, ProfileChanges changes, CancellationToken cancellationToken)
    {
        var user = await db.Users.Include(u => u.EmailAccount).SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return Error.NotFound("User not found.");
        }

        if (ProfileEditing.Apply(user, changes) is { } error)
        {
            return error;
        }

        await db.SaveChangesAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.Id == userId).SelectProfile(db).SingleAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OrganizationMailbox>> ActiveMailboxesAsync(IReadOnlyCollection<long> organizationIds, CancellationToken cancellationToken) =>
        await db.EmailAccounts.AsNoTracking()
            .Where(a => organizationIds.Contains(a.Domain.OrganizationId) && a.Enabled && a.Domain.Enabled
                && a.Domain.Organization.Status == Model.OrganizationStatus.Active)
            .Select(a => new OrganizationMailbox(a.Address, a.Domain.OrganizationId))
            .ToListAsync(cancellationToken);

    public Task<bool> OrganizationExistsAsync(long organizationId, CancellationToken cancellationToken) =>
        db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken);
}

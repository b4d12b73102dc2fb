using Fayvad.Shared.Options;
using FluentValidation;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Model;
using Fayvad.Directory.Passwords;
using Fayvad.Shared.Modules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fayvad.Directory.Seeding;

/// <summary>
/// Login names and passwords come from configuration: deploy/stack.sh names the demo accounts once and writes them
/// with generated passwords to .stack/api.env (docs/adr/0025). No password is ever in the repository.
/// </summary>
internal sealed class DemoSeedOptions
{
    public bool Demo { get; set; }
    public string? SuperadminUsername { get; set; }
    public string? SuperadminPassword { get; set; }
    public string? OrgAdminUsername { get; set; }
    public string? OrgAdminPassword { get; set; }
    public string? UserUsername { get; set; }
    public string? UserPassword { get; set; }
    public string? User2Username { get; set; }
    public string? User2Password { get; set; }

    /// <summary>The client's direct-call pages log in as a superadmin with a bare username, no mailbox.</summary>
    public string? ServiceUsername { get; set; }

    public string? ServicePassword { get; set; }
}

/// <summary>A demo account named without a password could never log in: the seed would make a dead account.</summary>
internal sealed class DemoSeedOptionsValidator : OptionsValidator<DemoSeedOptions>
{
    public DemoSeedOptionsValidator()
    {
        Setting(o => o.SuperadminPassword).NotEmpty().When(o => o.Demo && !string.IsNullOrEmpty(o.SuperadminUsername));
        Setting(o => o.OrgAdminPassword).NotEmpty().When(o => o.Demo && !string.IsNullOrEmpty(o.OrgAdminUsername));
        Setting(o => o.UserPassword).NotEmpty().When(o => o.Demo && !string.IsNullOrEmpty(o.UserUsername));
        Setting(o => o.User2Password).NotEmpty().When(o => o.Demo && !string.IsNullOrEmpty(o.User2Username));
    }
}

/// <summary>
/// The demo organization 'fayvad' with domain fayvad.com, a superadmin, an org admin, two mailbox users, and a
/// service account (bare username, superadmin, no mailbox) like the one the Django client's admin pages log in as.
/// Idempotent: re-running creates what is missing and resets the given passwords, so the printed ones always work.
/// </summary>
internal sealed partial class DemoSeeder(
    DirectoryDbContext db, PasswordHasher hasher, TimeProvider clock, IOptions<DemoSeedOptions> options, ILogger<DemoSeeder> logger)
    : IModuleInitializer
{
    public const string Domain = "fayvad.com";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var seed = options.Value;
        if (!seed.Demo)
        {
            return;
        }

        var now = clock.GetUtcNow();
        // Deleted demo entries are looked up too: one an admin deleted stays deleted (restorable), never re-created.
        var organization = await db.Organizations.IgnoreQueryFilters().SingleOrDefaultAsync(o => o.Slug == "fayvad", cancellationToken);
        if (organization is null)
        {
            organization = new Organization { Name = "Fayvad", Slug = "fayvad", MaxAccounts = 100, TotalQuotaMb = 102400, CreatedAt = now };
            db.Organizations.Add(organization);
        }

        var domain = await db.Domains.IgnoreQueryFilters().SingleOrDefaultAsync(d => d.Name == Domain, cancellationToken);
        if (domain is null)
        {
            domain = new MailDomain { Name = Domain, Organization = organization, DefaultMailboxQuotaMb = 1024, DkimEnabled = true, CreatedAt = now };
            db.Domains.Add(domain);
        }

        // A demo domain made before DKIM existed gets its first (pending) key too.
        if (domain.Id == 0 || !await db.DkimKeys.IgnoreQueryFilters().AnyAsync(k => k.DomainId == domain.Id, cancellationToken))
        {
            domain.DkimKeys.Add(Dkim.DkimKeyFactory.Create(0, [], now, DkimKeyState.Pending));
        }

        await db.SaveChangesAsync(cancellationToken);

        await UpsertAsync(seed.SuperadminUsername, "Platform", "Admin", UserRole.Superadmin, null, null, seed.SuperadminPassword, cancellationToken);
        if (organization.DeletedAt is not null || domain.DeletedAt is not null)
        {
            return;
        }

        await UpsertAsync(InDomain(seed.OrgAdminUsername, "OrgAdminUsername"), "Fayvad", "Admin", UserRole.OrgAdmin, organization, domain, seed.OrgAdminPassword, cancellationToken);
        await UpsertAsync(InDomain(seed.UserUsername, "UserUsername"), "David", "Kuria", UserRole.User, organization, domain, seed.UserPassword, cancellationToken);
        await UpsertAsync(InDomain(seed.User2Username, "User2Username"), "Jane", "Wanjiru", UserRole.User, organization, domain, seed.User2Password, cancellationToken);
        if (seed.ServiceUsername is { Length: > 0 } service && !Access.Addresses.IsBareUsername(service))
        {
            throw new InvalidOperationException("Seed:ServiceUsername must be a bare username (letters, digits, . _ + -), without @.");
        }

        await UpsertAsync(seed.ServiceUsername?.ToLowerInvariant(), "Service", "Account", UserRole.Superadmin, null, null, seed.ServicePassword, cancellationToken);
    }

    /// <summary>The demo mailboxes live in the demo domain.</summary>
    private static string? InDomain(string? address, string setting) =>
        address is not { Length: > 0 } || address.EndsWith("@" + Domain, StringComparison.OrdinalIgnoreCase)
            ? address?.ToLowerInvariant()
            : throw new InvalidOperationException($"Seed:{setting} must be an address in {Domain}.");

    private async Task UpsertAsync(
        string? loginName, string firstName, string lastName, UserRole role, Organization? organization, MailDomain? domain,
        string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(loginName))
        {
            LogNoUsername(logger, $"{firstName} {lastName}");
            return;
        }

        if (string.IsNullOrEmpty(password))
        {
            LogNoPassword(logger, loginName);
            return;
        }

        var user = await db.Users.IgnoreQueryFilters().Include(u => u.EmailAccount).SingleOrDefaultAsync(u => u.Username == loginName, cancellationToken);
        if (user?.DeletedAt is not null)
        {
            return;
        }

        if (user is null)
        {
            user = new User
            {
                Username = loginName,
                Email = loginName.Contains('@', StringComparison.Ordinal) ? loginName : "",
                FirstName = firstName,
                LastName = lastName,
                Role = role,
                Organization = organization,
                PasswordHash = hasher.Hash(password),
                CreatedAt = clock.GetUtcNow(),
            };
            db.Users.Add(user);
        }
        else if (!PasswordHasher.Verify(password, user.PasswordHash))
        {
            user.PasswordHash = hasher.Hash(password);
        }

        if (domain is not null && user.EmailAccount is null)
        {
            db.EmailAccounts.Add(new EmailAccount
            {
                User = user,
                Domain = domain,
                LocalPart = loginName[..loginName.IndexOf('@', StringComparison.Ordinal)],
                Address = loginName,
                MailHome = MailHomes.New(domain.Name),
                DisplayName = $"{firstName} {lastName}",
                QuotaMb = domain.DefaultMailboxQuotaMb,
                CreatedAt = clock.GetUtcNow(),
            });
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo user {LoginName} skipped: no password configured for it.")]
    private static partial void LogNoPassword(ILogger logger, string loginName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo user {Name} skipped: no username configured for it (Seed:*Username).")]
    private static partial void LogNoUsername(ILogger logger, string name);
}

using Fayvad.Directory.Access;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Directory.Model;
using Fayvad.Directory.Passwords;
using Fayvad.Identity.Contracts;
using Fayvad.Shared.Results;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Accounts;

/// <summary>Where a new account goes: its address and the domain that address belongs to.</summary>
internal sealed record AccountTarget(string Address, MailDomain Domain);

/// <summary>Creates email accounts (each with the user that logs in with its address) for the create slices.</summary>
internal sealed class NewAccounts(DirectoryDbContext db, ICurrentUser caller, PasswordHasher hasher, TimeProvider clock)
{
    /// <summary>Works out the address and checks that its domain is one the caller administers.</summary>
    public async Task<Result<AccountTarget>> ResolveAsync(NewEmailAccount request, CancellationToken cancellationToken)
    {
        // Each form that names the address, and the field its domain came from (for the error that refuses the domain).
        var given = new List<(string Field, string Address, string DomainField)>();
        if (!string.IsNullOrWhiteSpace(request.Address))
        {
            given.Add(("address", Addresses.Normalize(request.Address), "address"));
        }

        var email = string.IsNullOrWhiteSpace(request.Email) ? null : Addresses.Normalize(request.Email);
        if (!string.IsNullOrWhiteSpace(request.Username))
        {
            var username = Addresses.Normalize(request.Username);
            var domainField = "username";
            if (!username.Contains('@', StringComparison.Ordinal))
            {
                // A bare name takes the domain given, else the one of the address sent beside it, else the organization's.
                string? domainName;
                if (!string.IsNullOrWhiteSpace(request.Domain))
                {
                    (domainName, domainField) = (Addresses.Normalize(request.Domain), "domain");
                }
                else if (given.Count > 0 || email is not null)
                {
                    (domainName, domainField) = given.Count > 0
                        ? (Addresses.Split(given[0].Address).Domain, "address")
                        : (Addresses.Split(email!).Domain, "email");
                }
                else
                {
                    domainName = await DefaultDomainAsync(cancellationToken);
                }

                if (domainName is null)
                {
                    return Error.Validation("domain", "domain is required: username is a bare name and you have no organization domain to add it to.");
                }

                username = $"{username}@{domainName}";
                if (!Addresses.IsAddress(username))
                {
                    return Error.Validation("username", $"username does not make a valid address with the domain ({username}).");
                }
            }

            given.Add(("username", username, domainField));
        }

        if (email is not null)
        {
            given.Add(("email", email, "email"));
        }

        var (field, address, sourceOfDomain) = given[0];
        // The validator saw each field alone; a bare name and a domain meet only here.
        if (Addresses.MailboxNameProblem(address) is { } problem)
        {
            return Error.Validation(field, $"{field}: {problem}");
        }

        if (given.FirstOrDefault(g => g.Address != address) is { Field: not null } other)
        {
            return Error.Validation(other.Field,
                $"{other.Field} names {other.Address} but {field} names {address}: a new account has one address.");
        }

        var (_, domainPart) = Addresses.Split(address);
        if (!string.IsNullOrWhiteSpace(request.Domain) && Addresses.Normalize(request.Domain) != domainPart)
        {
            return Error.Validation("domain", $"domain {Addresses.Normalize(request.Domain)} is not the domain of {address}.");
        }

        var domain = await db.Domains.SingleOrDefaultAsync(d => d.Name == domainPart, cancellationToken);
        if (domain is null || !caller.CanManage(domain.OrganizationId))
        {
            return Error.Validation(sourceOfDomain, $"{sourceOfDomain}: the domain '{domainPart}' is not one of your organization's domains.");
        }

        if (domain.Type == DomainTypes.Alias)
        {
            var target = await db.Domains.Where(d => d.Id == domain.AliasTargetId).Select(d => d.Name).SingleOrDefaultAsync(cancellationToken);
            return Error.Validation(sourceOfDomain,
                $"{sourceOfDomain}: '{domainPart}' is an alias domain of '{target}': create the mailbox at {target}, and it answers at both.");
        }

        return new AccountTarget(address, domain);
    }

    /// <summary>
    /// Adds and saves the account inside the caller's transaction, which must hold the organization's lock
    /// (<see cref="QuotaRules.LockOrganizationAsync"/>) so the limits cannot be raced past.
    /// </summary>
    public async Task<Result<EmailAccount>> AddAsync(NewEmailAccount request, AccountTarget target, CancellationToken cancellationToken)
    {
        var address = target.Address;
        if (await db.DeletedAddressAsync(address, cancellationToken) is { } deleted)
        {
            return deleted;
        }

        if (await db.Users.AnyAsync(u => u.Username == address, cancellationToken)
            || await db.EmailAccounts.AnyAsync(a => a.Address == address, cancellationToken))
        {
            return Error.Conflict($"The address '{address}' is already taken.");
        }

        if (await db.Aliases.AnyAsync(a => a.Address == address, cancellationToken))
        {
            return Error.Conflict($"The address '{address}' is an alias: delete the alias first, or give the mailbox another address.");
        }

        var quotaMb = request.QuotaMb ?? request.Quota ?? target.Domain.DefaultMailboxQuotaMb;
        if (await db.CheckAccountFitsAsync(target.Domain, quotaMb, null, cancellationToken) is { } limit)
        {
            return limit;
        }

        var now = clock.GetUtcNow();
        var user = new User
        {
            Username = address,
            Email = address,
            FirstName = request.FirstName?.Trim() ?? "",
            LastName = request.LastName?.Trim() ?? "",
            Role = UserRole.User,
            OrganizationId = target.Domain.OrganizationId,
            PasswordHash = hasher.Hash(request.Password!),
            CreatedAt = now,
        };
        var account = new EmailAccount
        {
            User = user,
            DomainId = target.Domain.Id,
            LocalPart = Addresses.Split(address).LocalPart,
            Address = address,
            MailHome = MailHomes.New(target.Domain.Name),
            DisplayName = request.DisplayName?.Trim() is { Length: > 0 } display ? display : $"{user.FirstName} {user.LastName}".Trim(),
            QuotaMb = quotaMb,
            CreatedAt = now,
        };
        db.EmailAccounts.Add(account);
        if (!await db.TrySaveUniqueAsync(cancellationToken))
        {
            return Error.Conflict($"The address '{address}' is already taken.");
        }

        return account;
    }

    /// <summary>The organization's domain name (its first domain), for an org admin; none for a superadmin.</summary>
    private Task<string?> DefaultDomainAsync(CancellationToken cancellationToken) =>
        caller.OrganizationId is { } organizationId
            ? db.Domains.Where(d => d.OrganizationId == organizationId).OrderBy(d => d.Id).Select(d => d.Name).FirstOrDefaultAsync(cancellationToken)
            : Task.FromResult<string?>(null);
}

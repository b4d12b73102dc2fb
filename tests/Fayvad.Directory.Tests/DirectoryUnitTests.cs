using Fayvad.Directory.Accounts;
using Fayvad.Directory.Contracts;
using Fayvad.Directory.Access;
using Fayvad.Directory.Data;
using Fayvad.Directory.Deletion;
using Fayvad.Directory.Features.CreateEmailAccount;
using Fayvad.Directory.Features.CreateOrganization;
using Fayvad.Directory.Passwords;
using Fayvad.Shared.Validation;

namespace Fayvad.Directory.Tests;

public sealed class AddressTests
{
    [Theory]
    [InlineData("d.kuria@fayvad.com")]
    [InlineData("first+tag@sub.example.co.ke")]
    [InlineData("o'brien@example.org")]
    public void Accepts_ordinary_addresses(string address) => Assert.True(Addresses.IsAddress(address));

    [Theory]
    [InlineData("")]
    [InlineData("no-at-sign")]
    [InlineData("two@@example.com")]
    [InlineData(".lead@example.com")]
    [InlineData("double..dot@example.com")]
    [InlineData("space in@example.com")]
    [InlineData("user@localhost")]
    [InlineData("user@-bad.com")]
    [InlineData("user@example.123")]
    [InlineData("a\r\nBcc: x@evil.com@example.com")]
    public void Refuses_what_a_mail_server_would_not_route(string address) => Assert.False(Addresses.IsAddress(address));

    [Fact]
    public void A_local_part_longer_than_64_is_refused() => Assert.False(Addresses.IsAddress(new string('a', 65) + "@example.com"));

    [Theory]
    [InlineData("d.kuria@fayvad.com")]
    [InlineData("J_Doe-2@example.org")]
    [InlineData("j.doe")]
    public void A_mailbox_name_of_letters_digits_and_dot_underscore_hyphen_is_accepted(string value) => Assert.Null(Addresses.MailboxNameProblem(value));

    [Theory]
    [InlineData("x/maildir@fayvad.com", "'/'")]
    [InlineData("x\\y@fayvad.com", "'\\'")]
    [InlineData("x*@fayvad.com", "'*'")]
    [InlineData("x?@fayvad.com", "'?'")]
    [InlineData("x%u@fayvad.com", "'%'")]
    [InlineData("~x@fayvad.com", "'~'")]
    [InlineData("first+tag@fayvad.com", "'+'")]
    [InlineData(".x@fayvad.com", "dot")]
    [InlineData("..@fayvad.com", "dot")]
    [InlineData("x\u0000y@fayvad.com", "x\\u0000y@fayvad.com")]
    [InlineData("x\u001by@fayvad.com", "control")]
    public void A_mailbox_name_a_path_or_dovecot_would_misread_is_refused_naming_the_address(string value, string mentions)
    {
        var problem = Addresses.MailboxNameProblem(value);
        Assert.NotNull(problem);
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
        Assert.Contains("fayvad.com", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x*@fayvad.com", true)]
    [InlineData("x?@fayvad.com", true)]
    [InlineData("x@fayvad.com", false)]
    public void An_address_doveadm_reads_as_a_mask_is_known(string address, bool mask) => Assert.Equal(mask, Addresses.IsDoveadmMask(address));
}

public sealed class PasswordHasherTests
{
    private readonly PasswordHasher _hasher = new(workFactor: 4);

    /// <summary>The tests hash at cost 4 (TestHostSettings); a service configured with nothing gets cost 10.</summary>
    [Fact]
    public void Without_configuration_passwords_hash_at_cost_10()
    {
        Assert.StartsWith("{BLF-CRYPT}$2y$10$", new PasswordHasher().Hash("s3cret-password"), StringComparison.Ordinal);
    }

    [Fact]
    public void Hashes_in_dovecots_blf_crypt_form_and_verifies()
    {
        var hash = _hasher.Hash("s3cret-password");
        Assert.StartsWith("{BLF-CRYPT}$2y$04$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("s3cret-password", hash));
        Assert.False(PasswordHasher.Verify("s3cret-passwore", hash));
    }

    [Fact]
    public void Salts_differ_between_hashes() => Assert.NotEqual(_hasher.Hash("same"), _hasher.Hash("same"));

    [Theory]
    [InlineData("$2y$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui")]
    [InlineData("{SHA512-CRYPT}$6$abc$def")]
    [InlineData("{BLF-CRYPT}not-a-hash")]
    public void Refuses_hashes_of_other_schemes_or_broken_ones(string stored) => Assert.False(PasswordHasher.Verify("x", stored));
}

public sealed class ValidatorTests
{
    static ValidatorTests() => SnakeCaseNames.UseForValidation();

    [Fact]
    public void A_missing_address_is_a_validation_error_naming_the_field()
    {
        // Neither address, nor username, nor email: the client's field is asked for.
        var result = new CreateEmailAccountValidator().Validate(new CreateEmailAccountCommand(new NewEmailAccount(
            Address: null, Username: null, Email: null, Domain: null, Password: "long-enough-1", DisplayName: null, FirstName: null, LastName: null, QuotaMb: null, Quota: null)));
        Assert.Contains(result.Errors, e => e.PropertyName == "email");
    }

    [Fact]
    public void The_servers_create_path_requires_a_username()
    {
        var result = new CreateEmailAccountValidator().Validate(new CreateEmailAccountCommand(new NewEmailAccount(
            Address: null, Username: null, Email: "a@b.com", Domain: null, Password: "long-enough-1", DisplayName: null, FirstName: null, LastName: null, QuotaMb: null, Quota: null),
            UsernameRequired: true));
        Assert.Equal(["username"], result.Errors.Select(e => e.PropertyName));
    }

    [Fact]
    public void A_negative_quota_and_a_short_password_are_refused()
    {
        var result = new CreateEmailAccountValidator().Validate(new CreateEmailAccountCommand(new NewEmailAccount(
            Address: "a@b.com", Username: null, Email: null, Domain: null, Password: "short", DisplayName: null, FirstName: null, LastName: null, QuotaMb: -1, Quota: null)));
        Assert.Contains(result.Errors, e => e.PropertyName == "password");
        Assert.Contains(result.Errors, e => e.PropertyName == "quota_mb");
    }

    [Theory]
    [InlineData("fayvad", true)]
    [InlineData("acme-corp-2", true)]
    [InlineData("-lead", false)]
    [InlineData("Upper", false)]
    [InlineData("has space", false)]
    public void Slugs_are_dns_label_like(string slug, bool valid)
    {
        var result = new CreateOrganizationValidator().Validate(new CreateOrganizationCommand("Name", slug, null, null, null, null, null, null));
        Assert.Equal(valid, result.IsValid);
        Assert.Equal(valid, Slugs.IsValid(slug));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1024, 1)]
    [InlineData(1025, 2)]
    [InlineData(10240, 10)]
    public void Storage_limits_read_as_whole_gb_rounded_up_so_a_limit_never_reads_as_none(int mb, int gb) =>
        Assert.Equal(gb, StorageUnits.ToGb(mb));

    [Fact]
    public void The_clients_organization_form_needs_a_domain_name_ours_may_leave_it_out()
    {
        var clients = new CreateOrganizationValidator().Validate(new CreateOrganizationCommand("Acme", null, null, null, null, 10, 5, true));
        Assert.Contains(clients.Errors, e => e.PropertyName == "domain_name");
        var ours = new CreateOrganizationValidator().Validate(new CreateOrganizationCommand("Acme", "acme", 10, 1000, null, null, null, null));
        Assert.True(ours.IsValid);
        var both = new CreateOrganizationValidator().Validate(new CreateOrganizationCommand("Acme", "acme", 10, 1000, "acme.com", 10, 2, true));
        Assert.Contains(both.Errors, e => e.PropertyName == "max_storage_gb");
    }

    [Theory]
    [InlineData("true", true, true)]
    [InlineData("1", true, true)]
    [InlineData("false", false, true)]
    [InlineData(null, false, true)]
    [InlineData("maybe", false, false)]
    public void Force_flag(string? value, bool set, bool valid)
    {
        Assert.Equal(set, ForceFlag.IsSet(value));
        Assert.Equal(valid, ForceFlag.IsValid(value));
    }
}

public sealed class PasswordRuleTests
{
    [Theory]
    [InlineData(8, 'a')]
    [InlineData(72, 'a')]
    [InlineData(36, 'é')] // 72 bytes
    public void Accepts_passwords_the_hash_holds_whole(int length, char letter) =>
        Assert.Null(PasswordRules.Problem(new string(letter, length)));

    [Theory]
    [InlineData("short")]
    [InlineData("with\0nul-inside")]
    [InlineData("line\r\nbreak-inside")]
    public void Refuses_what_cannot_be_a_password(string password) => Assert.NotNull(PasswordRules.Problem(password));

    [Fact]
    public void Refuses_a_lone_surrogate()
    {
        // Built at run time: attribute strings are stored as UTF-8, which cannot carry a lone surrogate.
        Assert.Equal("password is not valid text.", PasswordRules.Problem("lone" + (char)0xD800 + "surrogate"));
    }

    [Fact]
    public void Refuses_passwords_bcrypt_would_cut_instead_of_truncating_them()
    {
        Assert.Contains("72 bytes", PasswordRules.Problem(new string('a', 73)), StringComparison.Ordinal);
        Assert.Contains("72 bytes", PasswordRules.Problem(new string('é', 37)), StringComparison.Ordinal); // 74 bytes, 37 characters
    }
}

public sealed class AccessChangeInterceptorTests
{
    [Theory]
    [InlineData("UPDATE directory.users AS u SET is_active = @p WHERE u.id = @p1", true)]
    [InlineData("UPDATE directory.organizations AS o SET status = @p WHERE o.id = ANY (@ids)", true)]
    [InlineData("INSERT INTO directory.email_accounts (address) VALUES (@p0) RETURNING id;", true)]
    [InlineData("DELETE FROM directory.domains\nWHERE id = @p0;", true)]
    [InlineData("UPDATE \"directory\".\"users\" SET \"role\" = @p0 WHERE id = @p1;", true)]
    [InlineData("UPDATE directory.users AS u SET last_login_at = @p WHERE u.id = @p1", false)]
    [InlineData("UPDATE directory.mailbox_usage SET bytes = @p", false)]
    [InlineData("SELECT u.id FROM directory.users AS u", false)]
    public void Only_writes_that_can_change_access_are_reported(string sql, bool reported) =>
        Assert.Equal(reported, AccessChangeInterceptor.ChangesAccess(sql));
}

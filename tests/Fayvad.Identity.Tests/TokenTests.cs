using Fayvad.Identity.Tokens;

namespace Fayvad.Identity.Tests;

public sealed class TokenHeaderTests
{
    [Theory]
    [InlineData("Bearer abc123", "abc123")]
    [InlineData("Token abc123", "abc123")]
    [InlineData("bearer   abc123  ", "abc123")]
    [InlineData("TOKEN abc123", "abc123")]
    public void Reads_bearer_and_django_token_headers(string header, string expected) =>
        Assert.Equal(expected, TokenAuthenticationHandler.ReadToken(header));

    [Theory]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearerabc")]
    public void Ignores_other_or_empty_headers(string header) => Assert.Null(TokenAuthenticationHandler.ReadToken(header));

    [Fact]
    public void Refuses_absurdly_long_tokens() => Assert.Null(TokenAuthenticationHandler.ReadToken("Bearer " + new string('a', 600)));

    [Fact]
    public void Stores_sha256_of_the_token()
    {
        // sha256("abc"), the FIPS 180-2 test vector.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(TokenService.Hash("abc")));
    }
}

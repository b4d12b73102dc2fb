using System.Text;
using System.Text.Json;
using Fayvad.Shared.Text;

namespace Fayvad.Shared.Tests;

public sealed class TextRulesTests
{
    [Theory]
    [InlineData("plain", null)]
    [InlineData("line one\r\nline two\ttabbed", null)]
    [InlineData("emoji \ud83d\ude00 paired", null)]
    [InlineData("a\0b", "must not contain a NUL character.")]
    [InlineData("bell\u0007", "must not contain control characters.")]
    public void Text_problems_are_found(string value, string? expected) => Assert.Equal(expected, TextRules.Problem(value));

    [Fact]
    public void Unpaired_surrogates_are_found()
    {
        // Built in code: an attribute argument cannot hold a lone surrogate.
        foreach (var value in new[] { "lone " + (char)0xD800 + " high", "lone " + (char)0xDC00 + " low", ((char)0xD83D).ToString(), "x" + (char)0xDE00 + (char)0xD83D })
        {
            Assert.Equal("must be valid Unicode text (it holds an unpaired surrogate).", TextRules.Problem(value));
        }
    }

    private sealed class Plain
    {
        public string? FirstName { get; set; }
        public int? MaxUsers { get; set; }
        public bool? IsActive { get; set; }
    }

    [Theory]
    [InlineData("""{"first_name":12}""", "first_name must be text (a JSON string).")]
    [InlineData("""{"max_users":"lots"}""", "max_users must be a whole number within range.")]
    [InlineData("""{"max_users":1000000000000000000000000000000}""", "max_users must be a whole number within range.")]
    [InlineData("""{"is_active":"yes"}""", "is_active must be true or false.")]
    public void Json_errors_of_settable_properties_say_what_the_field_must_be(string json, string expected)
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Plain>(json, Options));
        Assert.Equal(expected, JsonErrors.Describe(error));
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new SafeTextConverter() },
    };

    private sealed record Sample(string? FirstName, int? MaxUsers, IReadOnlyList<long>? Ids, bool? IsActive);

    [Theory]
    [InlineData("""{"first_name":"a\u0000b"}""", "first_name must not contain a NUL character.")]
    [InlineData("""{"first_name":"\ud800"}""", "first_name must be valid Unicode text (it holds a lone surrogate or invalid UTF-8).")]
    [InlineData("""{"max_users":"lots"}""", "max_users has the wrong JSON type")]
    [InlineData("""{"is_active":"yes"}""", "is_active has the wrong JSON type")]
    [InlineData("""{"ids":{}}""", "ids must be a list.")]
    [InlineData("""{"ids":[null]}""", "ids[0] must be a whole number within range.")]
    [InlineData("""[]""", "The request body must be a JSON object.")]
    [InlineData("""{"first_name": """, "The request body is not valid JSON")]
    public void Json_errors_name_the_field_and_no_dotnet_type(string json, string expected)
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, Options));
        var described = JsonErrors.Describe(error);
        Assert.StartsWith(expected, described, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", described, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_refused_naming_the_field()
    {
        byte[] json = [.. "{\"first_name\":\"a"u8, 0xC3, 0x28, .. "\"}"u8];
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, Options));
        Assert.StartsWith("first_name ", JsonErrors.Describe(error), StringComparison.Ordinal);
    }

    [Fact]
    public void A_parsed_document_is_checked_string_by_string_with_its_path()
    {
        using var document = JsonDocument.Parse("""{"to_emails":["ok@example.com","x\u0000@example.com"],"subject":"fine"}""");
        Assert.Equal("to_emails[1] must not contain a NUL character.", JsonErrors.Check(document.RootElement));
        using var lone = JsonDocument.Parse(Encoding.UTF8.GetBytes("""{"subject":"\udfff"}"""));
        Assert.StartsWith("subject must be valid Unicode text", JsonErrors.Check(lone.RootElement), StringComparison.Ordinal);
        using var fine = JsonDocument.Parse("""{"body":"line\r\nline","n":1}""");
        Assert.Null(JsonErrors.Check(fine.RootElement));
    }

    [Fact]
    public void The_last_page_keeps_the_offset_inside_an_int()
    {
        Assert.True((long)(Fayvad.Shared.Paging.Paging.MaxPage - 1) * Fayvad.Shared.Paging.Paging.MaxLimit <= int.MaxValue);
        Assert.True((long)Fayvad.Shared.Paging.Paging.MaxPage * Fayvad.Shared.Paging.Paging.MaxLimit > int.MaxValue - Fayvad.Shared.Paging.Paging.MaxLimit);
    }
}

using System.Globalization;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fayvad.Shared.Tests;

public sealed class QueryValuesTests
{
    [Theory]
    [InlineData("5", 5L)]
    [InlineData(" 7 ", 7L)]
    [InlineData("-1", -1L)]
    [InlineData("abc", WholeNumber.Malformed)]
    [InlineData("1e3", WholeNumber.Malformed)]
    [InlineData("1.5", WholeNumber.Malformed)]
    [InlineData("99999999999999999999", WholeNumber.Malformed)]
    [InlineData("", null)]
    [InlineData("   ", null)]
    public void A_whole_number_always_binds_and_keeps_what_it_read(string text, long? expected)
    {
        Assert.True(WholeNumber.TryParse(text, CultureInfo.InvariantCulture, out var number));
        Assert.Equal(expected, number.Value);
    }

    [Theory]
    [InlineData("12", 12)]
    [InlineData("abc", int.MinValue)]
    [InlineData("99999999999", int.MinValue)]
    [InlineData("-99999999999", int.MinValue)]
    public void As_an_int_a_malformed_or_too_large_number_fails_any_range_rule(string text, int expected)
    {
        WholeNumber.TryParse(text, null, out var number);
        Assert.Equal(expected, ((WholeNumber?)number).AsInt());
        Assert.Null(((WholeNumber?)null).AsInt());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData(" false ", false)]
    [InlineData("0", false)]
    [InlineData("No", false)]
    [InlineData("maybe", null)]
    [InlineData("", null)]
    public void A_flag_understands_the_usual_words_and_keeps_any_other_text(string text, bool? expected)
    {
        Assert.True(QueryFlag.TryParse(text, null, out var flag));
        Assert.Equal(expected, ((QueryFlag?)flag).AsBool());
        Assert.Equal(text, flag.Text);
    }

    [Fact]
    public void The_default_texts_the_document_shows_are_the_defaults_the_code_uses()
    {
        Assert.Equal(Fayvad.Shared.Paging.Paging.DefaultLimitText, Fayvad.Shared.Paging.Paging.DefaultLimit.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Fayvad.Shared.Paging.Paging.MaxLimitText, Fayvad.Shared.Paging.Paging.MaxLimit.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Through ASP.NET's own binder, as an endpoint gets them: nothing a client sends is a binding failure.</summary>
    [Theory]
    [InlineData("", false, 1, 0)]
    [InlineData("?page=3", true, 3, Fayvad.Shared.Paging.Paging.DefaultLimit)]
    [InlineData("?limit=20", true, 1, 20)]
    [InlineData("?page_size=10&limit=20", true, 1, 10)]
    [InlineData("?page=abc", true, int.MinValue, Fayvad.Shared.Paging.Paging.DefaultLimit)]
    [InlineData("?page=&page_size=%20", false, 1, 0)]
    public async Task A_list_window_is_bound_from_the_query_by_the_framework(string query, bool paged, int page, int size)
    {
        ListWindow? bound = null;
        var endpoint = RequestDelegateFactory.Create(([Microsoft.AspNetCore.Http.AsParameters] ListParameters parameters) =>
        {
            bound = parameters.Window();
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.QueryString = new QueryString(query);

        await endpoint.RequestDelegate(context);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal(paged, bound!.Paged);
        Assert.Equal(page, bound.Page);
        Assert.Equal(size, bound.PageSize);
    }

    [Theory]
    [InlineData("?force=yes", "yes")]
    [InlineData("?force=banana", "banana")]
    [InlineData("", null)]
    public async Task A_flag_parameter_binds_any_text_for_the_request_to_judge(string query, string? text)
    {
        string? bound = "unset";
        var endpoint = RequestDelegateFactory.Create((QueryFlag? force) =>
        {
            bound = force?.Text;
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.QueryString = new QueryString(query);

        await endpoint.RequestDelegate(context);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal(text, bound);
    }
}

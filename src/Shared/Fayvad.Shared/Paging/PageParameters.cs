using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Fayvad.Shared.Http;
using Microsoft.AspNetCore.Mvc;

namespace Fayvad.Shared.Paging;

/// <summary>The page and limit of an endpoint that always pages (<see cref="PagingRules{T}"/>); bound with <c>[AsParameters]</c>.</summary>
public class PageParameters
{
    [FromQuery(Name = "page"), Description("Page number, from 1."), DefaultValue(typeof(WholeNumber), "1"), Range(1, Paging.MaxPage)]
    public WholeNumber? Page { get; init; }

    [FromQuery(Name = "limit"), Description("Items per page."), DefaultValue(typeof(WholeNumber), Paging.DefaultLimitText), Range(1, Paging.MaxLimit)]
    public WholeNumber? Limit { get; init; }

    public int PageOrFirst() => Page.AsInt() ?? 1;

    public int LimitOrDefault() => Limit.AsInt() ?? Paging.DefaultLimit;
}

/// <summary>
/// The window of a list that may be paged (<see cref="ListWindow"/>): no page, page_size or limit asks for the bare
/// array the Django client reads; any of them asks for the page form. Bound with <c>[AsParameters]</c>.
/// </summary>
public class ListParameters
{
    [FromQuery(Name = "page"), Description("Page number (from 1); asks for the paged form."), Range(1, Paging.MaxPage)]
    public WholeNumber? Page { get; init; }

    [FromQuery(Name = "page_size"), Description("Items per page; asks for the paged form."), DefaultValue(typeof(WholeNumber), Paging.DefaultLimitText),
     Range(1, Paging.MaxLimit)]
    public WholeNumber? PageSize { get; init; }

    [FromQuery(Name = "limit"), Description("Same as page_size."), Range(1, Paging.MaxLimit)]
    public WholeNumber? Limit { get; init; }

    public ListWindow Window()
    {
        var page = Page.AsInt();
        var size = PageSize.AsInt() ?? Limit.AsInt();
        return page is null && size is null ? ListWindow.All : new ListWindow(page ?? 1, size ?? Paging.DefaultLimit, true);
    }
}

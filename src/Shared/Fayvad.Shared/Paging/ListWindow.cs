using System.Globalization;
using Fayvad.Shared.Http;
using FluentValidation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Fayvad.Shared.Paging;

/// <summary>
/// Which part of a list a caller wants: the whole list as a bare JSON array (what the Django client's pages read,
/// sending no query), or, when the caller asks with <c>page</c>, <c>page_size</c> or <c>limit</c>, one page in
/// Django REST framework's form <c>{"count","next","previous","results"}</c>.
/// </summary>
public sealed record ListWindow(int Page, int PageSize, bool Paged)
{
    public static readonly ListWindow All = new(1, 0, false);

    public int Skip => Paged ? (Page - 1) * PageSize : 0;
}

/// <summary>A list request that may be paged.</summary>
public interface IListRequest
{
    ListWindow Window { get; }
}

public sealed class ListWindowRules<T> : AbstractValidator<T>
    where T : IListRequest
{
    public ListWindowRules()
    {
        RuleFor(r => r.Window.Page).InclusiveBetween(1, Paging.MaxPage).OverridePropertyName("page")
            .WithMessage($"page must be between 1 and {Paging.MaxPage}.");
        RuleFor(r => r.Window.PageSize).InclusiveBetween(1, Paging.MaxLimit).When(r => r.Window.Paged)
            .OverridePropertyName("page_size")
            .WithMessage($"page_size must be between 1 and {Paging.MaxLimit}.");
    }
}

/// <summary>One window of a list and the size of the whole list.</summary>
public sealed record ListSlice<T>(IReadOnlyList<T> Items, int Count);

public static class ListWindows
{
    /// <summary>Applies the window to an ordered query; the whole query when the caller did not ask for a page.</summary>
    public static IQueryable<T> Window<T>(this IQueryable<T> ordered, ListWindow window) =>
        window.Paged ? ordered.Skip(window.Skip).Take(window.PageSize) : ordered;

    /// <summary>A bare array, or the page form with absolute next/previous links like Django REST framework's.</summary>
    public static IResult ToListResult<T>(this ListSlice<T> slice, ListWindow window, HttpRequest request)
    {
        if (!window.Paged)
        {
            return Microsoft.AspNetCore.Http.Results.Ok(slice.Items);
        }

        var hasNext = (long)window.Page * window.PageSize < slice.Count;
        return Microsoft.AspNetCore.Http.Results.Ok(new DrfPage<T>(
            slice.Count,
            hasNext ? PageLink(request, window.Page + 1) : null,
            window.Page > 1 ? PageLink(request, window.Page - 1) : null,
            slice.Items));
    }

    private static string PageLink(HttpRequest request, int page)
    {
        var query = request.Query
            .Where(p => p.Key != "page")
            .Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString()))
            .Append(new KeyValuePair<string, string?>("page", page.ToString(CultureInfo.InvariantCulture)));
        return UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, QueryString.Create(query));
    }
}

/// <summary>Django REST framework's page: <c>{"count","next","previous","results"}</c>.</summary>
public sealed record DrfPage<T>(int Count, string? Next, string? Previous, IReadOnlyList<T> Results);

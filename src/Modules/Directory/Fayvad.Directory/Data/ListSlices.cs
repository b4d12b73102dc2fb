using Fayvad.Shared.Paging;
using Microsoft.EntityFrameworkCore;

namespace Fayvad.Directory.Data;

internal static class ListSlices
{
    /// <summary>
    /// The window of an ordered list, its rows shaped by <paramref name="select"/> once the window is cut, and the size
    /// of the whole list: counted only when a page was asked for (without one, the window is the whole list).
    /// </summary>
    public static async Task<ListSlice<TItem>> ToSliceAsync<TRow, TItem>(
        this IQueryable<TRow> ordered, ListWindow window, Func<IQueryable<TRow>, IQueryable<TItem>> select, CancellationToken cancellationToken)
    {
        var items = await select(ordered.Window(window)).ToListAsync(cancellationToken);
        return new ListSlice<TItem>(items, window.Paged ? await ordered.CountAsync(cancellationToken) : items.Count);
    }
}

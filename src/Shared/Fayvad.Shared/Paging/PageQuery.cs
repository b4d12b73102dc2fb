using FluentValidation;

namespace Fayvad.Shared.Paging;

/// <summary>A request that pages its results; pages start at 1.</summary>
public interface IPagedRequest
{
    int Page { get; }
    int Limit { get; }
}

public static class Paging
{
    public const int DefaultLimit = 50;

    /// <summary><see cref="DefaultLimit"/> as an attribute's text.</summary>
    public const string DefaultLimitText = "50";

    /// <summary>The cap keeps any one page, and so any one query, bounded.</summary>
    public const int MaxLimit = 200;

    /// <summary><see cref="MaxLimit"/> as an attribute's text.</summary>
    public const string MaxLimitText = "200";

    /// <summary>Keeps (Page - 1) * Limit inside an int for any accepted limit.</summary>
    public const int MaxPage = int.MaxValue / MaxLimit;

    public static int Skip(this IPagedRequest request) => (request.Page - 1) * request.Limit;
}

public sealed class PagingRules<T> : AbstractValidator<T>
    where T : IPagedRequest
{
    public PagingRules()
    {
        // (page - 1) * limit must stay an int: an offset past it is no page of any list.
        RuleFor(p => p.Page).InclusiveBetween(1, Paging.MaxPage).WithMessage($"page must be between 1 and {Paging.MaxPage}.");
        RuleFor(p => p.Limit).InclusiveBetween(1, Paging.MaxLimit)
            .WithMessage($"limit must be between 1 and {Paging.MaxLimit}.");
    }
}

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int PageNumber, int Limit)
{
    public bool HasNext => (long)PageNumber * Limit < Total;
    public bool HasPrev => PageNumber > 1;
}
